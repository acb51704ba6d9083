namespace Dispatcher.Submitter.Hosting;

/// <summary>
/// Keeps two embedded runs off one ledger file. An embedded run holds its jobs' messages in its
/// own memory, so a second run of the same ledger would take the first one's unfinished jobs for
/// abandoned and send them again. The lock is a file held open exclusively; the operating system
/// lets go of it when the process ends, however it ends, so a killed run never leaves it behind.
/// </summary>
internal sealed class LedgerRunLock : IDisposable
{
    private readonly FileStream _file;

    private LedgerRunLock(FileStream file)
    {
        _file = file;
    }

    /// <summary>The lock file beside <paramref name="ledgerPath"/>.</summary>
    public static string PathFor(string ledgerPath) => ledgerPath + ".run-lock";

    /// <summary>Takes the lock of <paramref name="ledgerPath"/>; null when another process holds it.</summary>
    public static LedgerRunLock? TryTake(string ledgerPath)
    {
        try
        {
            return new LedgerRunLock(new FileStream(PathFor(ledgerPath), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>
    /// Whether another process holds the lock of <paramref name="ledgerPath"/>: a run is under way
    /// on it. Takes the lock and lets go of it at once when it is free, so a run starting in that
    /// instant may find it taken and say so.
    /// </summary>
    public static bool IsHeld(string ledgerPath)
    {
        if (!File.Exists(PathFor(ledgerPath)))
        {
            return false;
        }

        try
        {
            using var probe = new FileStream(PathFor(ledgerPath), FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            return false;
        }
        catch (FileNotFoundException)
        {
            // The file went away between the two looks: no run holds it.
            return false;
        }
        catch (IOException)
        {
            return true;
        }
    }

    public void Dispose() => _file.Dispose();
}
