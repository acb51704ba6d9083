namespace Dispatcher.Catalog.Rules;

/// <summary>A field a rule's condition reads (see <see cref="RuleFacts"/>).</summary>
internal enum RuleFieldKind
{
    Tenant,
    Endpoint,
    PromptTokens,
    HasImages,
    HasTools,
    BodyMetadata,
    BatchMetadata,
}

/// <summary>A field by kind, with its key for the metadata fields.</summary>
internal sealed record RuleField(RuleFieldKind Kind, string? Key)
{
    private const string BodyPrefix = "body.metadata.";
    private const string BatchPrefix = "batch.metadata.";

    /// <summary>The field names a condition may use.</summary>
    public const string Known = "tenant, endpoint, prompt_tokens, has_images, has_tools, body.metadata.<key>, batch.metadata.<key>";

    /// <summary>Whether the field holds a number.</summary>
    public bool IsNumber => Kind == RuleFieldKind.PromptTokens;

    /// <summary>Whether the field holds true or false.</summary>
    public bool IsFlag => Kind is RuleFieldKind.HasImages or RuleFieldKind.HasTools;

    /// <summary>The field a name gives, or null for an unknown name.</summary>
    public static RuleField? Parse(string name) => name switch
    {
        "tenant" => new(RuleFieldKind.Tenant, null),
        "endpoint" => new(RuleFieldKind.Endpoint, null),
        "prompt_tokens" => new(RuleFieldKind.PromptTokens, null),
        "has_images" => new(RuleFieldKind.HasImages, null),
        "has_tools" => new(RuleFieldKind.HasTools, null),
        _ when name.StartsWith(BodyPrefix, StringComparison.Ordinal) && name.Length > BodyPrefix.Length =>
            new(RuleFieldKind.BodyMetadata, name[BodyPrefix.Length..]),
        _ when name.StartsWith(BatchPrefix, StringComparison.Ordinal) && name.Length > BatchPrefix.Length =>
            new(RuleFieldKind.BatchMetadata, name[BatchPrefix.Length..]),
        _ => null,
    };

    /// <summary>The field's text in <paramref name="facts"/>, null when absent; numbers and flags as invariant text.</summary>
    public string? Text(in RuleFacts facts) => Kind switch
    {
        RuleFieldKind.Tenant => facts.Tenant,
        RuleFieldKind.Endpoint => facts.Endpoint,
        RuleFieldKind.BodyMetadata => facts.BodyMetadata is { } body && body.TryGetValue(Key!, out var b) ? b : null,
        RuleFieldKind.BatchMetadata => facts.BatchMetadata is { } batch && batch.TryGetValue(Key!, out var m) ? m : null,
        _ => null,
    };
}
