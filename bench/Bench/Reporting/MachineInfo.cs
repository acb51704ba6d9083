using System.Runtime.InteropServices;

namespace Dispatcher.Bench.Reporting;

/// <summary>The machine a run's figures come from, printed at the top of every run.</summary>
internal static class MachineInfo
{
    /// <summary>One line each: CPU, memory, OS, runtime.</summary>
    public static IEnumerable<string> Describe()
    {
        yield return $"CPU: {Environment.ProcessorCount} cores, {CpuModel()}";
        yield return $"memory: {MemTotalGib()} GiB";
        yield return $"OS: {RuntimeInformation.OSDescription}";
        yield return $"runtime: {RuntimeInformation.FrameworkDescription}, server GC {System.Runtime.GCSettings.IsServerGC}";
    }

    private static string CpuModel() =>
        ReadField("/proc/cpuinfo", "model name") ?? RuntimeInformation.ProcessArchitecture.ToString();

    private static string MemTotalGib()
    {
        var kb = ReadField("/proc/meminfo", "MemTotal")?.Split(' ')[0];
        return kb is null ? "?" : (long.Parse(kb, System.Globalization.CultureInfo.InvariantCulture) / 1024.0 / 1024.0).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture);
    }

    private static string? ReadField(string file, string name)
    {
        if (!File.Exists(file))
        {
            return null;
        }

        return File.ReadLines(file)
            .Where(l => l.StartsWith(name, StringComparison.Ordinal) && l.Contains(':', StringComparison.Ordinal))
            .Select(l => l[(l.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim())
            .FirstOrDefault();
    }
}
