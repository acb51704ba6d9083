namespace Dispatcher.Catalog.Tokens;

/// <summary>
/// The tokenizers a deployment's prompts are counted with, by catalog name (a deployment's
/// <see cref="DeploymentOptions.Tokenizer"/>), and which one a model uses when the catalog does
/// not say.
/// </summary>
public static class TokenizerNames
{
    /// <summary>OpenAI's o200k_base: gpt-4o, gpt-4.1, gpt-4.5, gpt-5, o1/o3/o4 and gpt-oss models.</summary>
    public const string O200kBase = "o200k_base";

    /// <summary>OpenAI's cl100k_base: gpt-4, gpt-4-turbo, gpt-3.5-turbo and the text-embedding-3 and ada-002 models.</summary>
    public const string Cl100kBase = "cl100k_base";

    /// <summary>About four characters a token: any model whose tokenizer is not shipped (Claude, self-hosted models).</summary>
    public const string Heuristic = "heuristic";

    /// <summary>Every name the catalog accepts.</summary>
    public static IReadOnlyList<string> Names { get; } = [O200kBase, Cl100kBase, Heuristic];

    // Checked in order: the first prefix a model name starts with decides (gpt-4o before gpt-4).
    private static readonly (string Prefix, string Tokenizer)[] ModelPrefixes =
    [
        ("gpt-4o", O200kBase),
        ("chatgpt-4o", O200kBase),
        ("gpt-4.1", O200kBase),
        ("gpt-4.5", O200kBase),
        ("gpt-5", O200kBase),
        ("gpt-oss", O200kBase),
        ("o1", O200kBase),
        ("o3", O200kBase),
        ("o4", O200kBase),
        ("omni-moderation", O200kBase),
        ("gpt-4", Cl100kBase),
        ("gpt-3.5", Cl100kBase),
        ("gpt-35", Cl100kBase),
        ("text-embedding-3", Cl100kBase),
        ("text-embedding-ada-002", Cl100kBase),
    ];

    /// <summary>The catalog name <paramref name="name"/> stands for (any case), or null when it names no tokenizer.</summary>
    public static string? Normalize(string? name)
    {
        foreach (var known in Names)
        {
            if (string.Equals(known, name?.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                return known;
            }
        }

        return null;
    }

    /// <summary>
    /// The tokenizer of <paramref name="deployment"/>: its <see cref="DeploymentOptions.Tokenizer"/>
    /// when set; the heuristic for Anthropic (Claude's tokenizer is not published); else the one
    /// its <see cref="DeploymentOptions.ProviderModel"/> uses (<see cref="ForModel"/>).
    /// </summary>
    public static string For(DeploymentOptions deployment)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        if (Normalize(deployment.Tokenizer) is { } configured)
        {
            return configured;
        }

        return deployment.Provider == ProviderKind.Anthropic ? Heuristic : ForModel(deployment.ProviderModel);
    }

    /// <summary>
    /// The tokenizer OpenAI's model <paramref name="model"/> uses, by its name (any case, a
    /// <c>vendor/</c> prefix ignored: <c>openai/gpt-4o</c> is gpt-4o); the heuristic for any other
    /// model. An Azure deployment named otherwise, or a model served under another name, sets
    /// <see cref="DeploymentOptions.Tokenizer"/>.
    /// </summary>
    public static string ForModel(string? model)
    {
        if (string.IsNullOrWhiteSpace(model))
        {
            return Heuristic;
        }

        var name = model.AsSpan().Trim();
        var slash = name.LastIndexOf('/');
        name = slash >= 0 ? name[(slash + 1)..] : name;
        foreach (var (prefix, tokenizer) in ModelPrefixes)
        {
            if (name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                return tokenizer;
            }
        }

        return Heuristic;
    }
}
