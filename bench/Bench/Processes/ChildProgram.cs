using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Dispatcher.Bench.Processes;

/// <summary>
/// One of the product's programs running as a real process (<c>dotnet PROGRAM.dll</c>), with its
/// output written to a log file and its last lines kept for error messages. Disposing ends this
/// process and its children only, by its own pid.
/// </summary>
internal sealed class ChildProgram : IAsyncDisposable
{
    private const int TailLines = 40;

    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly Queue<string> _tail = new();
    private readonly Lock _gate = new();
    private Uri? _listening;

    private readonly Action<string>? _onLine;

    private ChildProgram(Process process, StreamWriter log, string name, Action<string>? onLine)
    {
        _process = process;
        _log = log;
        Name = name;
        _onLine = onLine;
    }

    /// <summary>A short name for reports.</summary>
    public string Name { get; }

    /// <summary>The process id.</summary>
    public int Id => _process.Id;

    /// <summary>Whether the process has ended.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>The exit code, once ended.</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>
    /// Starts <paramref name="dll"/> with the given environment and arguments; <paramref name="onLine"/>,
    /// when given, sees each line of its output as it comes.
    /// </summary>
    public static ChildProgram Start(string name, string dll, IReadOnlyDictionary<string, string> environment, IEnumerable<string> args, string logPath, Action<string>? onLine = null)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        info.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var log = new StreamWriter(logPath, append: false) { AutoFlush = true };
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var program = new ChildProgram(process, log, name, onLine);
        process.OutputDataReceived += (_, e) => program.Append(e.Data);
        process.ErrorDataReceived += (_, e) => program.Append(e.Data);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return program;
    }

    /// <summary>
    /// Waits for the program to say where it listens (ASP.NET Core's "Now listening on:" line; the
    /// bench gives every program port 0, so only the program knows), for at most <paramref name="timeout"/>.
    /// </summary>
    public async Task<Uri> ListeningUrlAsync(TimeSpan timeout, CancellationToken ct)
    {
        Uri? url = null;
        await Polling.UntilAsync(
            () =>
            {
                ThrowIfExited();
                lock (_gate)
                {
                    url = _listening;
                }

                return Task.FromResult(url is not null);
            },
            TimeSpan.FromMilliseconds(100),
            timeout,
            $"{Name} (pid {Id}) to listen",
            ct);
        return url!;
    }

    /// <summary>The last lines the process wrote.</summary>
    public string Tail()
    {
        lock (_gate)
        {
            return string.Join(Environment.NewLine, _tail);
        }
    }

    /// <summary>Waits for the process to end by itself; false when it is still running after <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout, CancellationToken ct)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        try
        {
            await _process.WaitForExitAsync(limit.Token);
            return true;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Fails with the process's last output when it has ended (a crash at start-up, a bad configuration).</summary>
    public void ThrowIfExited()
    {
        if (_process.HasExited)
        {
            throw new InvalidOperationException($"{Name} (pid {Id}) exited with code {_process.ExitCode}; last output:{Environment.NewLine}{Tail()}");
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            await _process.WaitForExitAsync(CancellationToken.None);
        }
        catch (InvalidOperationException)
        {
            // Already ended.
        }

        _process.Dispose();
        lock (_gate)
        {
            _log.Dispose();
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            if (_tail.Count == TailLines)
            {
                _tail.Dequeue();
            }

            _tail.Enqueue(line);
            if (_listening is null && Regex.Match(line, @"Now listening on: (http://\S+)") is { Success: true } match)
            {
                _listening = new Uri(match.Groups[1].Value.TrimEnd('/') + "/");
            }

            _log.WriteLine(line);
        }

        _onLine?.Invoke(line);
    }
}
