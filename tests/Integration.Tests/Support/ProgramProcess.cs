using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Integration.Tests.Support;

/// <summary>
/// One of the product's programs (Dispatcher, Workers, Submitter) running as a real process,
/// with its output kept for failure messages. Disposing ends this process and its children only.
/// </summary>
public sealed class ProgramProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ProgramProcess(Process process)
    {
        _process = process;
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static ProgramProcess Start(string project, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var dll = RepoPaths.Program(project);
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"{project} is not built at {dll}; build the solution first", dll);
        }

        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        if (InterruptIgnored())
        {
            // A test run started in the background (`cmd &` from a script) ignores SIGINT, and so
            // does every process it starts: the program would never see the Ctrl+C a test sends it.
            // perl (in every Debian base system) puts the default back and becomes the program.
            info.FileName = "perl";
            info.ArgumentList.Add("-e");
            info.ArgumentList.Add("$SIG{INT} = 'DEFAULT'; exec { $ARGV[0] } @ARGV or die \"exec: $!\"");
            info.ArgumentList.Add("dotnet");
        }

        info.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var program = new ProgramProcess(process);
        process.OutputDataReceived += (_, e) => program.Append(e.Data);
        process.ErrorDataReceived += (_, e) => program.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return program;
    }

    // Whether this process ignores SIGINT (bit 2 of SigIgn in /proc/self/status), as the processes
    // it starts then do too.
    private static bool InterruptIgnored()
    {
        const string Field = "SigIgn:";
        var line = File.Exists("/proc/self/status") ? File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith(Field, StringComparison.Ordinal)) : null;
        return line is not null
            && ulong.TryParse(line[Field.Length..].Trim(), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture, out var ignored)
            && (ignored & (1UL << 1)) != 0;
    }

    /// <summary>
    /// The address the program's HTTP endpoint bound, read from its "Now listening on" log line
    /// (tests start programs on port 0, so parallel runs never collide).
    /// </summary>
    public async Task<Uri> ListeningUrlAsync(TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (DateTime.UtcNow < deadline)
        {
            var match = Regex.Match(Output, @"Now listening on: (http://\S+)");
            if (match.Success)
            {
                return new Uri(match.Groups[1].Value.TrimEnd('/') + "/");
            }

            if (HasExited)
            {
                break;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"no \"Now listening on\" line; output:\n{Output}");
    }

    /// <summary>Waits for the process to exit by itself; kills it and fails after <paramref name="timeout"/>.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"process did not exit within {timeout}; output:\n{Output}");
        }

        _process.WaitForExit(); // drains the redirected output
        return _process.ExitCode;
    }

    /// <summary>
    /// Sends the process a signal by name (<c>TERM</c>, <c>INT</c>), as an orchestrator stopping it
    /// or Ctrl+C would; <c>dotnet X.dll</c> runs the program in its own process, so it gets it.
    /// </summary>
    public async Task SignalAsync(string signal)
    {
        var info = new ProcessStartInfo("kill") { UseShellExecute = false };
        info.ArgumentList.Add("-s");
        info.ArgumentList.Add(signal);
        info.ArgumentList.Add(Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var kill = Process.Start(info)!;
        await kill.WaitForExitAsync();
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill -s {signal} {Id} exited with {kill.ExitCode}");
        }
    }

    /// <summary>Ends the process at once, as kill -9 would.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        _process.Dispose();
        return ValueTask.CompletedTask;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
