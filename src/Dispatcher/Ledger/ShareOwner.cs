namespace Dispatcher.Ledger;

/// <summary>A share's owner as the ledger records it: who took it over last, under which epoch and when.</summary>
public sealed record ShareOwner
{
    /// <summary>The share.</summary>
    public long Share { get; init; }

    /// <summary>How many times the share was taken over.</summary>
    public long Epoch { get; init; }

    /// <summary>The process that took it over last (host, process id and a random tag).</summary>
    public string Owner { get; init; } = "";

    /// <summary>When, as round-trip UTC text.</summary>
    public string Since { get; init; } = "";

    /// <summary>A process that prefers the share and asks its owner for it back; null when none does.</summary>
    public string? WantedBy { get; init; }
}
