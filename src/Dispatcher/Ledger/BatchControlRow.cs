namespace Dispatcher.Ledger;

/// <summary>A batch's control (<see cref="BatchControl"/>, null while it runs), when it was decided, and the end of its completion window (round-trip UTC text, null for none).</summary>
public sealed class BatchControlRow
{
    public string BatchId { get; init; } = "";
    public string? Control { get; init; }
    public string? ControlAt { get; init; }
    public string? ExpiresAt { get; init; }

    public string? Metadata { get; init; }
}
