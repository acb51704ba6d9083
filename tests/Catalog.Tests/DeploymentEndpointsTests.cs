using Dispatcher.Contracts;
using Dispatcher.Tests.Support;

namespace Dispatcher.Catalog.Tests;

public sealed class DeploymentEndpointsTests
{
    private static IReadOnlyList<string> Errors(CatalogOptions options) =>
        new CatalogValidator(_ => "set").Validate(null, options).Failures?.ToList() ?? [];

    [Theory]
    [InlineData(ProviderKind.OpenAI, new[] { Endpoints.ChatCompletions })]
    [InlineData(ProviderKind.Anthropic, new[] { Endpoints.ChatCompletions })]
    [InlineData(ProviderKind.Simulated, new[] { Endpoints.ChatCompletions, Endpoints.Embeddings, Endpoints.Completions, Endpoints.Responses, Endpoints.Moderations })]
    public void ServedEndpoints_NoneDeclared_AreTheProvidersDefaults(ProviderKind provider, string[] expected) =>
        new DeploymentOptions { Provider = provider }.ServedEndpoints.ShouldBe(expected);

    [Fact]
    public void ServedEndpoints_Declared_AreExactlyThose()
    {
        var deployment = new DeploymentOptions { Provider = ProviderKind.Simulated, Endpoints = [Endpoints.Embeddings] };

        deployment.ServedEndpoints.ShouldBe([Endpoints.Embeddings]);
        deployment.Serves(Endpoints.Embeddings).ShouldBeTrue();
        deployment.Serves(Endpoints.ChatCompletions).ShouldBeFalse();
    }

    [Fact]
    public void Validate_UnknownEndpoint_NamesTheKeyAndListsKnownOnes()
    {
        var embed = Catalogs.Deployment("embed");
        embed.Endpoints = [Endpoints.Embeddings, "/v1/images/generations"];
        var options = new CatalogOptions { Deployments = [Catalogs.Deployment("a"), embed] };

        Errors(options).ShouldHaveSingleItem().ShouldBe(
            "Catalog:Deployments:1:Endpoints:1: unknown endpoint '/v1/images/generations'; known: /v1/chat/completions, /v1/embeddings, /v1/completions, /v1/responses, /v1/moderations.");
    }

    [Fact]
    public void Validate_AnthropicDeclaringEmbeddings_NamesTheKey()
    {
        var claude = Catalogs.Deployment("claude");
        claude.Provider = ProviderKind.Anthropic;
        claude.ApiKeyVariable = "ANTHROPIC_API_KEY";
        (claude.InputTpm, claude.OutputTpm) = (400_000, 80_000);
        claude.Endpoints = [Endpoints.ChatCompletions, Endpoints.Embeddings];

        Errors(new CatalogOptions { Deployments = [claude] }).ShouldHaveSingleItem()
            .ShouldStartWith("Catalog:Deployments:0:Endpoints:1: provider Anthropic serves only /v1/chat/completions");
    }

    [Fact]
    public void UnservedEndpoint_GroupWithoutTheEndpoint_SaysWhatItServes()
    {
        var chat = Catalogs.Deployment("chat", "g");
        chat.Provider = ProviderKind.OpenAI;
        var embed = Catalogs.Deployment("embed", "e");
        embed.Endpoints = [Endpoints.Embeddings];
        var catalog = new CatalogOptions { Deployments = [chat, embed] };

        catalog.UnservedEndpoint("g", Endpoints.Embeddings).ShouldBe("no deployment of model group 'g' serves /v1/embeddings; its deployments serve /v1/chat/completions");
        catalog.UnservedEndpoint("e", Endpoints.Embeddings).ShouldBeNull();
        catalog.UnservedEndpoint("unknown", Endpoints.Embeddings).ShouldBeNull();
    }
}
