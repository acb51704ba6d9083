using Dispatcher.Catalog;
using Dispatcher.Contracts;
using Dispatcher.Ledger;
using Dispatcher.Reservations;

namespace Dispatcher.Tests.Reservations;

public sealed class UsageCeilingTests
{
    private static readonly DeploymentOptions Deployment = new() { Id = "d", ModelGroup = "g", ContextWindow = 8_000 };

    private static UsageCeiling Ceiling(string body, long estimatedPrompt = 100, long maxTokens = 256) => UsageCeiling.For(
        new JobRow
        {
            JobId = "j", CustomId = "c", ModelGroup = "g", State = JobState.Dispatched, Body = body,
            EstPromptTokens = estimatedPrompt, MaxTokens = maxTokens,
        },
        Deployment);

    [Fact]
    public void Bound_UsageTheRequestAllows_ReturnsItUnchanged()
    {
        var usage = new TokenUsage(7_999, 256);

        Ceiling("""{"max_tokens":256}""").Bound(usage).ShouldBeSameAs(usage);
    }

    [Fact]
    public void Bound_IntMaxUsage_IsTheContextWindowAndMaxTokens()
    {
        Ceiling("""{"max_tokens":256}""").Bound(new TokenUsage(int.MaxValue, int.MaxValue)).ShouldBe(new TokenUsage(8_000, 256));
    }

    [Fact]
    public void Bound_PromptOfAnEstimateBeyondTheWindow_AllowsFourTimesTheEstimatePlus1024()
    {
        // A catalog that understates the window must not cut real usage: 4 × 5,000 + 1,024.
        var ceiling = Ceiling("""{"max_tokens":256}""", estimatedPrompt: 5_000);

        ceiling.PromptTokens.ShouldBe(21_024);
        ceiling.Bound(new TokenUsage(20_000, 10)).ShouldBe(new TokenUsage(20_000, 10));
        ceiling.Bound(new TokenUsage(30_000, 10)).ShouldBe(new TokenUsage(21_024, 10));
    }

    [Theory]
    [InlineData("""{"max_tokens":100,"n":3}""", 100, 300)]
    [InlineData("""{"max_completion_tokens":100,"n":3}""", 100, 300)]
    [InlineData("""{"max_tokens":100,"n":100000}""", 100, 12_800)]
    [InlineData("""{"max_tokens":100,"n":"three"}""", 100, 100)]
    public void Bound_CompletionOfABodyWithALimit_IsMaxTokensTimesN(string body, long maxTokens, int expected)
    {
        var ceiling = Ceiling(body, maxTokens: maxTokens);

        ceiling.Bound(new TokenUsage(10, int.MaxValue)).CompletionTokens.ShouldBe(expected);
        ceiling.CompletionTokens.ShouldBe(expected);
    }

    [Fact]
    public void Bound_CompletionOfABodyWithoutALimit_AllowsUpToTheContextWindow()
    {
        // The group's default max_tokens (256) was reserved, but the provider's own limit applies.
        var ceiling = Ceiling("""{"messages":[{"role":"user","content":"write at length"}]}""");

        ceiling.Bound(new TokenUsage(10, 3_000)).ShouldBe(new TokenUsage(10, 3_000));
        ceiling.Bound(new TokenUsage(10, 9_000)).ShouldBe(new TokenUsage(10, 8_000));
    }

    [Fact]
    public void Bound_BodyThatIsNotJson_IsTakenToSetNoLimit()
    {
        Ceiling("not json").Bound(new TokenUsage(10, int.MaxValue)).ShouldBe(new TokenUsage(10, 8_000));
    }

    [Fact]
    public void Bound_NegativeCounts_AreZero()
    {
        Ceiling("{}").Bound(new TokenUsage(-5, -7)).ShouldBe(new TokenUsage(0, 0));
    }
}
