using System.Text.Json;
using Dispatcher.Catalog;
using Dispatcher.Catalog.Tokens;
using Dispatcher.Contracts;
using Dispatcher.Dispatching;
using Microsoft.Extensions.Options;

namespace Dispatcher.Tests.Dispatching;

public sealed class PromptEstimatesTests
{
    private static readonly JsonElement Japanese = JsonDocument.Parse(JsonSerializer.Serialize(new
    {
        messages = new[] { new { role = "user", content = string.Concat(Enumerable.Repeat("お誕生日おめでとう", 40)) } },
    })).RootElement;

    private static readonly JsonElement English = JsonDocument.Parse("""{"messages":[{"role":"user","content":"Hello, world"}]}""").RootElement;

    private static PromptEstimates Estimates(IEnumerable<DeploymentOptions> deployments, params ModelGroupOptions[] groups) =>
        new(Options.Create(new CatalogOptions { Deployments = [.. deployments], ModelGroups = [.. groups] }));

    private static DeploymentOptions Deployment(string id, string group, string model, ProviderKind provider = ProviderKind.Simulated, string? tokenizer = null) =>
        new() { Id = id, ModelGroup = group, Model = model, Provider = provider, Tokenizer = tokenizer };

    [Fact]
    public void Estimate_OpenAiGroup_CountsWithItsModelsTokenizer()
    {
        var estimates = Estimates([Deployment("a", "g", "gpt-4o")]);

        estimates.Estimate("g", English, Endpoints.ChatCompletions).ShouldBe(10);
        estimates.Estimate("g", Japanese, Endpoints.ChatCompletions).ShouldBe(PromptCounters.Shared.Named(TokenizerNames.O200kBase).Count(Japanese, Endpoints.ChatCompletions));
    }

    [Fact]
    public void Estimate_UnknownModel_FallsBackToTheHeuristic()
    {
        var estimates = Estimates([Deployment("a", "g", "llama-3-8b")]);

        estimates.Counters("g").ShouldBe([PromptCounters.Heuristic]);
        estimates.Estimate("g", Japanese, Endpoints.ChatCompletions).ShouldBe(PromptCounters.Heuristic.Count(Japanese, Endpoints.ChatCompletions));
    }

    [Fact]
    public void Estimate_MixedGroupAndFallback_IsTheLargestCountOfEveryTokenizerAJobMayMeet()
    {
        var estimates = Estimates(
            [Deployment("a", "g", "gpt-4o"), Deployment("b", "g", "gpt-4o-mini"), Deployment("c", "g", "claude", ProviderKind.Anthropic), Deployment("d", "h", "gpt-4")],
            new ModelGroupOptions { Name = "g", Fallbacks = ["h"] },
            new ModelGroupOptions { Name = "h", Fallbacks = ["g"] });

        estimates.Counters("g").Select(c => c.Name).ShouldBe([TokenizerNames.O200kBase, TokenizerNames.Heuristic, TokenizerNames.Cl100kBase]);
        var counts = estimates.Counters("g").Select(c => c.Count(Japanese, Endpoints.ChatCompletions)).ToList();
        estimates.Estimate("g", Japanese, Endpoints.ChatCompletions).ShouldBe(counts.Max());
    }

    [Fact]
    public void Estimate_CatalogKey_OverridesTheModel()
    {
        var estimates = Estimates([Deployment("a", "g", "prod-chat", ProviderKind.OpenAI, tokenizer: "cl100k_base")]);

        estimates.Counters("g").Single().Name.ShouldBe(TokenizerNames.Cl100kBase);
    }

    [Fact]
    public void Estimate_GroupWithoutDeployments_UsesTheHeuristic() =>
        Estimates([Deployment("a", "g", "gpt-4o")]).Estimate("nowhere", English, Endpoints.ChatCompletions)
            .ShouldBe(PromptCounters.Heuristic.Count(English, Endpoints.ChatCompletions));
}
