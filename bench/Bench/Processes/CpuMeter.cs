namespace Dispatcher.Bench.Processes;

/// <summary>
/// CPU used by named processes (and by the whole machine) between two instants, from /proc.
/// On a 2-core machine this is what tells a stage limited by CPU from one waiting on something.
/// </summary>
internal sealed class CpuMeter
{
    private readonly IReadOnlyDictionary<string, int> _pids;
    private readonly IReadOnlySet<string> _trees;
    private readonly Dictionary<string, long> _start = new(StringComparer.Ordinal);
    private readonly long _startTimestamp;
    private readonly (long Busy, long Total) _machineStart;

    private CpuMeter(IReadOnlyDictionary<string, int> pids, IReadOnlySet<string>? trees)
    {
        _pids = pids;
        _trees = trees ?? new HashSet<string>();
        foreach (var (name, pid) in pids)
        {
            _start[name] = Ticks(name, pid) ?? 0;
        }

        _machineStart = ProcFs.MachineTicks();
        _startTimestamp = TimeProvider.System.GetTimestamp();
    }

    /// <summary>
    /// Starts measuring the processes given by name and pid; for a name in <paramref name="trees"/>,
    /// the process and every process it started (a database server's sessions and writers).
    /// </summary>
    public static CpuMeter Start(IReadOnlyDictionary<string, int> pids, IReadOnlySet<string>? trees = null) => new(pids, trees);

    /// <summary>CPU used since the start, per process in percent of one core, and the machine's busy share.</summary>
    public CpuUsage Stop()
    {
        var wall = TimeProvider.System.GetElapsedTime(_startTimestamp);
        var machine = ProcFs.MachineTicks();
        var perProcess = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (name, pid) in _pids)
        {
            var used = (Ticks(name, pid) ?? _start[name]) - _start[name];
            perProcess[name] = 100.0 * used / ProcFs.TicksPerSecond / wall.TotalSeconds;
        }

        var total = machine.Total - _machineStart.Total;
        var busy = total == 0 ? 0 : 100.0 * (machine.Busy - _machineStart.Busy) / total;
        return new CpuUsage(wall, perProcess, busy);
    }

    private long? Ticks(string name, int pid) => _trees.Contains(name) ? ProcFs.TreeCpuTicks(pid) : ProcFs.CpuTicks(pid);
}

/// <summary>What <see cref="CpuMeter"/> measured.</summary>
/// <param name="Wall">How long the measurement ran.</param>
/// <param name="PercentOfOneCore">Per process: CPU time over wall time, 100 = one core fully busy.</param>
/// <param name="MachineBusyPercent">All CPUs together: the busy share, 100 = every core busy.</param>
internal sealed record CpuUsage(TimeSpan Wall, IReadOnlyDictionary<string, double> PercentOfOneCore, double MachineBusyPercent)
{
    /// <summary>
    /// CPU the machine spent outside the measured processes, in percent of one core: anything else
    /// running on the machine meanwhile (which takes cores from the measured processes), plus the kernel's own work.
    /// </summary>
    public double OtherPercentOfOneCore => Math.Max(0, (MachineBusyPercent * Environment.ProcessorCount) - PercentOfOneCore.Values.Sum());

    /// <summary>Milliseconds of CPU the named process used per item, over <paramref name="items"/> items; null for a process not measured.</summary>
    public double? MsPer(string process, long items) =>
        PercentOfOneCore.TryGetValue(process, out var percent) ? percent / 100.0 * Wall.TotalMilliseconds / items : null;
}
