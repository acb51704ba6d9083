namespace Dispatcher.Ledger;

/// <summary>Jobs of one deployment, group and tenant that count against spend caps: spent since a period start, or under way.</summary>
public sealed record SpendRow
{
    public string DeploymentId { get; init; } = "";
    public string ModelGroup { get; init; } = "";
    public string? Tenant { get; init; }
    public string State { get; init; } = "";
    public decimal Cost { get; init; }
    public long EstPromptTokens { get; init; }
    public long MaxTokens { get; init; }
}
