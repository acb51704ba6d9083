namespace Dispatcher.Submitter.Cli;

/// <summary>What the CLI's exit status means.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int InvalidInput = 2;
    public const int TimedOut = 3;

    /// <summary>The batch ended, and at least one of its jobs ended failed (its errors file lists them).</summary>
    public const int JobsFailed = 4;

    /// <summary>Stopped by Ctrl+C or SIGTERM before the batch ended (128 + SIGINT, as shells report it); run again to resume.</summary>
    public const int Interrupted = 130;
}
