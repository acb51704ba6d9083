using System.Globalization;

namespace Dispatcher.Bench.Processes;

/// <summary>
/// Reads what Linux's /proc says about a process (CPU time, peak and current resident memory)
/// and about the machine's CPUs. Only reads; nothing here signals a process.
/// </summary>
internal static class ProcFs
{
    /// <summary>Clock ticks per second of the utime/stime fields (USER_HZ, 100 on Linux x86-64 and arm64).</summary>
    public const double TicksPerSecond = 100.0;

    /// <summary>User plus system CPU ticks a process has used, all its threads together; null once it is gone.</summary>
    public static long? CpuTicks(int pid) => Stat(pid) is { } fields ? Field(fields, 11) + Field(fields, 12) : null;

    /// <summary>
    /// CPU ticks of a process and of every child it started: its own, its children's still running,
    /// and those of its children that ended (the kernel adds a reaped child's time to its parent's
    /// cutime and cstime, so the sum never drops when one ends); null once the process is gone.
    /// For a server that runs a process per session (PostgreSQL's postmaster and its backends).
    /// </summary>
    public static long? TreeCpuTicks(int pid)
    {
        if (Stat(pid) is not { } own)
        {
            return null;
        }

        var total = Field(own, 11) + Field(own, 12) + Field(own, 13) + Field(own, 14);
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var child) && child != pid
                && Stat(child) is { } fields && Field(fields, 1) == pid)
            {
                total += Field(fields, 11) + Field(fields, 12);
            }
        }

        return total;
    }

    /// <summary>A <c>/proc/PID/status</c> memory field (VmHWM, VmRSS) in bytes; null once the process is gone.</summary>
    public static long? StatusBytes(int pid, string field)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith(field, StringComparison.Ordinal) && line.Length > field.Length && line[field.Length] == ':')
                {
                    var kb = line[(field.Length + 1)..].Trim().Split(' ')[0];
                    return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
        }

        return null;
    }

    // The fields of /proc/PID/stat after the command name (field 2, in parentheses, may hold
    // spaces), so index 0 is the state, 1 the parent's pid, 11 utime, 12 stime, 13 cutime, 14 cstime.
    private static string[]? Stat(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static long Field(string[] fields, int index) =>
        index < fields.Length && long.TryParse(fields[index], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) ? value : 0;

    /// <summary>Busy and total ticks of all CPUs together, from the first line of /proc/stat.</summary>
    public static (long Busy, long Total) MachineTicks()
    {
        var line = File.ReadLines("/proc/stat").First();
        var values = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8)
            .Select(v => long.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        var total = values.Sum();
        var idle = values[3] + values[4]; // idle + iowait
        return (total - idle, total);
    }

    /// <summary>
    /// The pid of the Erlang VM of the RabbitMQ node that uses the private epmd on <paramref name="epmdPort"/>
    /// (the broker's own CPU and memory live there, not in the wrapper script it was launched through;
    /// the node name is passed in the environment, the epmd port shows on the command line); null if not found.
    /// </summary>
    public static int? FindBeam(int epmdPort)
    {
        var marker = "-epmd_port\0" + epmdPort.ToString(CultureInfo.InvariantCulture) + "\0";
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline"));
                if (cmdline.Contains("beam.smp", StringComparison.Ordinal) && cmdline.Contains(marker, StringComparison.Ordinal))
                {
                    return pid;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The process ended while the folder was listed.
            }
        }

        return null;
    }
}
