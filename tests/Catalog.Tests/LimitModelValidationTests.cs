using Dispatcher.Tests.Support;

namespace Dispatcher.Catalog.Tests;

public sealed class LimitModelValidationTests
{
    private static IReadOnlyList<string> Errors(params DeploymentOptions[] deployments) =>
        new CatalogValidator(_ => "key").Validate(null, new CatalogOptions { Deployments = [.. deployments] }).Failures?.ToList() ?? [];

    private static DeploymentOptions Claude()
    {
        var claude = Catalogs.Deployment("claude");
        claude.Provider = ProviderKind.Anthropic;
        claude.ApiKeyVariable = "ANTHROPIC_API_KEY";
        claude.InputTpm = 400_000;
        claude.OutputTpm = 80_000;
        return claude;
    }

    [Fact]
    public void Validate_AnthropicWithInputAndOutputTpm_Succeeds() => Errors(Claude()).ShouldBeEmpty();

    [Fact]
    public void Validate_AnthropicWithoutOutputTpm_NamesTheKey()
    {
        var claude = Claude();
        claude.OutputTpm = null;

        Errors(Catalogs.Deployment("a"), Catalogs.Deployment("b"), Catalogs.Deployment("c"), claude).ShouldHaveSingleItem()
            .ShouldBe("Catalog:Deployments:3:OutputTpm: required for the Anthropic limit model: output tokens per minute.");
    }

    [Fact]
    public void Validate_AnthropicWithoutInputTpm_NamesTheKey()
    {
        var claude = Claude();
        claude.InputTpm = null;

        Errors(claude).ShouldHaveSingleItem().ShouldStartWith("Catalog:Deployments:0:InputTpm: required for the Anthropic limit model");
    }

    [Fact]
    public void Validate_ConcurrencyWithoutMaxConcurrent_NamesTheKey()
    {
        var vllm = Catalogs.Deployment("vllm");
        vllm.LimitModel = LimitModel.Concurrency;

        Errors(vllm).ShouldHaveSingleItem().ShouldStartWith("Catalog:Deployments:0:MaxConcurrent: required for the Concurrency limit model");
    }

    [Fact]
    public void Validate_AzureWithoutTpm_NamesTheKey()
    {
        var azure = Catalogs.Deployment("azure");
        azure.LimitModel = LimitModel.Azure;

        Errors(azure).ShouldHaveSingleItem().ShouldStartWith("Catalog:Deployments:0:Tpm: required for the Azure limit model");
    }

    [Fact]
    public void Validate_InputTpmOnOpenAiModel_NamesTheKey()
    {
        var openai = Catalogs.Deployment("o");
        openai.InputTpm = 1000;

        Errors(openai).ShouldHaveSingleItem().ShouldStartWith("Catalog:Deployments:0:InputTpm: only the Anthropic limit model counts input and output tokens apart");
    }

    [Fact]
    public void Validate_NonPositiveMaxConcurrent_NamesTheKey()
    {
        var vllm = Catalogs.Deployment("vllm");
        vllm.LimitModel = LimitModel.Concurrency;
        vllm.MaxConcurrent = 0;

        Errors(vllm).ShouldContain(e => e.StartsWith("Catalog:Deployments:0:MaxConcurrent:", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_UnknownLimitModel_NamesTheKey()
    {
        var d = Catalogs.Deployment("d");
        d.LimitModel = (LimitModel)42;

        Errors(d).ShouldHaveSingleItem().ShouldStartWith("Catalog:Deployments:0:LimitModel: unknown limit model");
    }

    [Theory]
    [InlineData(ProviderKind.OpenAI, LimitModel.OpenAI)]
    [InlineData(ProviderKind.Anthropic, LimitModel.Anthropic)]
    [InlineData(ProviderKind.Simulated, LimitModel.OpenAI)]
    public void EffectiveLimitModel_Unset_FollowsTheProvider(ProviderKind provider, LimitModel expected) =>
        new DeploymentOptions { Provider = provider }.EffectiveLimitModel.ShouldBe(expected);

    [Fact]
    public void EffectiveLimitModel_Set_WinsOverTheProvider() =>
        new DeploymentOptions { Provider = ProviderKind.OpenAI, LimitModel = LimitModel.Concurrency }.EffectiveLimitModel.ShouldBe(LimitModel.Concurrency);
}
