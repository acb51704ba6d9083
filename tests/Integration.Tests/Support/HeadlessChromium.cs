using System.Diagnostics;

namespace Integration.Tests.Support;

/// <summary>
/// Runs the system's Chromium headless, one process per call with a fresh profile, and bounds
/// every run: a run that outlives its timeout is killed (that process and its children only).
/// </summary>
public static class HeadlessChromium
{
    public const string ExecutablePath = "/usr/bin/chromium";

    private static readonly string[] CommonFlags =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--hide-scrollbars",
    ];

    public static bool IsInstalled => File.Exists(ExecutablePath);

    /// <summary>The page's DOM after <paramref name="virtualTime"/> of page time (timers and fetches run).</summary>
    public static async Task<string> DumpDomAsync(Uri page, TimeSpan virtualTime, TimeSpan timeout) =>
        (await RunAsync([$"--virtual-time-budget={(int)virtualTime.TotalMilliseconds}", "--dump-dom", page.AbsoluteUri], timeout)).Output;

    /// <summary>Writes a PNG of the page at the given window size after <paramref name="virtualTime"/> of page time.</summary>
    public static async Task ScreenshotAsync(Uri page, string pngPath, int width, int height, TimeSpan virtualTime, TimeSpan timeout) =>
        await RunAsync(
            [$"--virtual-time-budget={(int)virtualTime.TotalMilliseconds}", $"--window-size={width},{height}", $"--screenshot={pngPath}", page.AbsoluteUri],
            timeout);

    private static async Task<(string Output, string Errors)> RunAsync(IEnumerable<string> arguments, TimeSpan timeout)
    {
        if (!IsInstalled)
        {
            throw new InvalidOperationException(
                $"{ExecutablePath} was not found. The dashboard's browser test needs Debian's chromium and chromium-driver packages: run ./test.sh (it installs them), or apt-get install -y chromium chromium-driver.");
        }

        var profile = Directory.CreateTempSubdirectory("chromium-profile-");
        var info = new ProcessStartInfo(ExecutablePath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var flag in CommonFlags.Append($"--user-data-dir={profile.FullName}").Concat(arguments))
        {
            info.ArgumentList.Add(flag);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("chromium did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        try
        {
            using var limit = new CancellationTokenSource(timeout);
            try
            {
                await process.WaitForExitAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
                throw new TimeoutException($"chromium (pid {process.Id}) did not finish within {timeout}; stderr:\n{await errors}");
            }

            var result = (await output, await errors);
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"chromium exited with code {process.ExitCode}; stderr:\n{result.Item2}");
            }

            return result;
        }
        finally
        {
            try
            {
                profile.Delete(recursive: true);
            }
            catch (IOException)
            {
                // A profile file still held by a dying helper process; the temp cleaner gets it.
            }
        }
    }
}
