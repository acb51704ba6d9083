namespace Dispatcher.Catalog.Tokens;

/// <summary>
/// The prompt counter of each tokenizer, created once per process: a BPE vocabulary takes tens of
/// milliseconds and megabytes to load, so each is loaded the first time a deployment that uses it
/// is counted for, and shared (counting is thread-safe).
/// </summary>
public sealed class PromptCounters
{
    private readonly Lazy<PromptCounter> _o200k = new(() => new PromptCounter(TokenizerNames.O200kBase, new TiktokenCounter(TokenizerNames.O200kBase), PromptCounter.O200kFunctionStart));
    private readonly Lazy<PromptCounter> _cl100k = new(() => new PromptCounter(TokenizerNames.Cl100kBase, new TiktokenCounter(TokenizerNames.Cl100kBase), PromptCounter.Cl100kFunctionStart));

    private PromptCounters()
    {
    }

    /// <summary>
    /// The process's counters. One set for the process, not one per host or test: the vocabularies
    /// are read-only once loaded, and loading them again for every service provider would cost
    /// each its megabytes again.
    /// </summary>
    public static PromptCounters Shared { get; } = new();

    /// <summary>The four-characters-a-token counter.</summary>
    public static PromptCounter Heuristic { get; } = new(TokenizerNames.Heuristic, CharacterTokenCounter.Instance);

    /// <summary>The counter of the tokenizer named <paramref name="name"/> (<see cref="TokenizerNames"/>); the heuristic for any other name.</summary>
    public PromptCounter Named(string? name) => TokenizerNames.Normalize(name) switch
    {
        TokenizerNames.O200kBase => _o200k.Value,
        TokenizerNames.Cl100kBase => _cl100k.Value,
        _ => Heuristic,
    };

    /// <summary>The counter <paramref name="deployment"/>'s provider counts its prompts with (<see cref="TokenizerNames.For"/>).</summary>
    public PromptCounter For(DeploymentOptions deployment) => Named(TokenizerNames.For(deployment));
}
