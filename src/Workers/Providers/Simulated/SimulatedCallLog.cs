using System.Globalization;
using System.Text.Json;

namespace Dispatcher.Workers.Providers.Simulated;

/// <summary>
/// The simulated provider's audit of the calls it received: one JSON line per call, appended to a
/// file that several worker processes may share (a deployment's queue can be served by more than
/// one process, and a restarted worker writes beside the one it replaced).
/// </summary>
/// <remarks>
/// .NET's append mode seeks to the end once and then writes at its own offset, so two processes
/// appending to one file overwrite each other's lines. Each line is therefore written under an
/// exclusive lock on the file (<see cref="FileShare.None"/>, an advisory <c>flock</c> on Linux),
/// taken for one write and released at once; a writer that finds it taken tries again shortly.
/// </remarks>
internal sealed class SimulatedCallLog
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(2);
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromSeconds(10);

    private readonly string _path;
    private readonly TimeProvider _time;

    // Writers in this process queue here, so the file lock is contended only across processes.
    private readonly SemaphoreSlim _gate = new(1, 1);

    public SimulatedCallLog(string path, TimeProvider time)
    {
        _path = Path.GetFullPath(path);
        _time = time;
        if (Path.GetDirectoryName(_path) is { Length: > 0 } folder)
        {
            Directory.CreateDirectory(folder);
        }
    }

    /// <summary>Appends the line for one received call.</summary>
    public async Task AppendAsync(string deploymentId, ProviderRequest request, CancellationToken cancellationToken)
    {
        var line = Line(deploymentId, request);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var started = _time.GetTimestamp();
            while (true)
            {
                try
                {
                    await using var file = new FileStream(_path, FileMode.Append, FileAccess.Write, FileShare.None, bufferSize: 0);
                    await file.WriteAsync(line, cancellationToken);
                    return;
                }
                catch (IOException) when (_time.GetElapsedTime(started) < GiveUpAfter)
                {
                    // Another process holds the lock for its own line.
                    await Task.Delay(RetryDelay, _time, cancellationToken);
                }
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private byte[] Line(string deploymentId, ProviderRequest request)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(160);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("at", _time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture));
            w.WriteString("deployment", deploymentId);
            w.WriteString("jobId", request.JobId);
            w.WriteNumber("attempt", request.Attempt);
            w.WriteNumber("pid", Environment.ProcessId);
            w.WriteEndObject();
        }

        return [.. buffer.WrittenSpan, (byte)'\n'];
    }
}
