namespace Dispatcher.Ledger;

/// <summary>
/// The commands a <see cref="BatchRequest"/> carries (<c>batch_requests.command</c>), named as the
/// CLI commands that record them.
/// </summary>
public static class BatchRequestCommand
{
    /// <summary>Cancel the batch, as a <c>CancelBatch</c> would.</summary>
    public const string Cancel = "cancel";

    /// <summary>Pause the batch, as a <c>PauseBatch</c> would.</summary>
    public const string Pause = "pause";

    /// <summary>Resume the paused batch, as a <c>ResumeBatch</c> would.</summary>
    public const string Resume = "resume";

    /// <summary>Whether <paramref name="command"/> is one of these.</summary>
    public static bool IsKnown(string? command) => command is Cancel or Pause or Resume;
}
