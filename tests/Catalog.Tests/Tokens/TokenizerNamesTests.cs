using Dispatcher.Catalog.Tokens;

namespace Dispatcher.Catalog.Tests.Tokens;

public sealed class TokenizerNamesTests
{
    [Theory]
    [InlineData("gpt-4o", TokenizerNames.O200kBase)]
    [InlineData("gpt-4o-mini-2024-07-18", TokenizerNames.O200kBase)]
    [InlineData("GPT-4.1-nano", TokenizerNames.O200kBase)]
    [InlineData("gpt-5-mini", TokenizerNames.O200kBase)]
    [InlineData("o3-mini", TokenizerNames.O200kBase)]
    [InlineData("openai/gpt-oss-20b", TokenizerNames.O200kBase)]
    [InlineData("gpt-4", TokenizerNames.Cl100kBase)]
    [InlineData("gpt-4-turbo", TokenizerNames.Cl100kBase)]
    [InlineData("gpt-35-turbo", TokenizerNames.Cl100kBase)]
    [InlineData("text-embedding-3-small", TokenizerNames.Cl100kBase)]
    [InlineData("claude-3-5-haiku", TokenizerNames.Heuristic)]
    [InlineData("meta-llama/Llama-3.1-8B-Instruct", TokenizerNames.Heuristic)]
    [InlineData("my-azure-deployment", TokenizerNames.Heuristic)]
    [InlineData("", TokenizerNames.Heuristic)]
    public void ForModel_ModelName_IsItsTokenizerOrTheHeuristic(string model, string expected) =>
        TokenizerNames.ForModel(model).ShouldBe(expected);

    [Fact]
    public void For_CatalogKey_OverridesTheModelName()
    {
        var deployment = new DeploymentOptions { Id = "azure", ModelGroup = "chat", Model = "prod-chat", Provider = ProviderKind.OpenAI, Tokenizer = "O200K_BASE" };

        TokenizerNames.For(deployment).ShouldBe(TokenizerNames.O200kBase);
        TokenizerNames.For(new DeploymentOptions { Id = "x", ModelGroup = "gpt-4o", Tokenizer = "heuristic" }).ShouldBe(TokenizerNames.Heuristic);
    }

    [Fact]
    public void For_Anthropic_IsTheHeuristicWhateverTheModel() =>
        TokenizerNames.For(new DeploymentOptions { Id = "c", ModelGroup = "gpt-4o", Provider = ProviderKind.Anthropic }).ShouldBe(TokenizerNames.Heuristic);

    [Fact]
    public void For_NoKey_UsesTheProviderModelOverTheGroup() =>
        TokenizerNames.For(new DeploymentOptions { Id = "d", ModelGroup = "fast", Model = "gpt-4o-mini" }).ShouldBe(TokenizerNames.O200kBase);
}
