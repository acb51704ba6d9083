using System.Text;
using Dispatcher.Catalog;
using Dispatcher.Contracts;
using Dispatcher.Batches;

namespace Dispatcher.Submitter.Tests.Batches;

/// <summary>Lines for every endpoint: the fields each needs, files that mix urls, and the catalog's check.</summary>
public sealed class BatchEndpointValidationTests
{
    private static readonly BatchFileLimits Limits = BatchFileLimits.Default;

    public static TheoryData<string, string> ValidBodies => new()
    {
        { Endpoints.ChatCompletions, """{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}]}""" },
        { Endpoints.Embeddings, """{"model": "text-embedding-3-small", "input": "Hello"}""" },
        { Endpoints.Embeddings, """{"model": "text-embedding-3-small", "input": ["a", "b"], "dimensions": 64}""" },
        { Endpoints.Embeddings, """{"model": "text-embedding-3-small", "input": [[1, 2, 3], [4]]}""" },
        { Endpoints.Completions, """{"model": "gpt-3.5-turbo-instruct", "prompt": "Once upon a time", "max_tokens": 16}""" },
        { Endpoints.Completions, """{"model": "gpt-3.5-turbo-instruct", "prompt": [1, 2, 3]}""" },
        { Endpoints.Responses, """{"model": "gpt-4o-mini", "input": "Hi", "instructions": "Be brief.", "max_output_tokens": 32}""" },
        { Endpoints.Responses, """{"model": "gpt-4o-mini", "input": [{"role": "user", "content": "Hi"}]}""" },
        { Endpoints.Moderations, """{"model": "omni-moderation-latest", "input": "Hi"}""" },
        { Endpoints.Moderations, """{"input": ["Hi", "there"]}""" },
    };

    [Theory]
    [MemberData(nameof(ValidBodies))]
    public async Task ValidateAsync_ValidLineForEndpoint_HasNoErrors(string url, string body)
    {
        using var file = TempBatchFile.FromLines(Line("req-1", url, body));

        var result = await BatchFileValidator.ValidateAsync(file.Path, Limits, CancellationToken.None);

        result.Errors.ShouldBeEmpty();
    }

    [Theory]
    [InlineData(Endpoints.Embeddings, """{"model": "text-embedding-3-small"}""", "body.input", "is required for /v1/embeddings: a non-empty string or array")]
    [InlineData(Endpoints.Embeddings, """{"input": "Hi"}""", "body.model", "is required")]
    [InlineData(Endpoints.Embeddings, """{"model": "e", "input": []}""", "body.input", "must be a non-empty string or array, found an empty array")]
    [InlineData(Endpoints.Embeddings, """{"model": "e", "input": ""}""", "body.input", "must not be empty")]
    [InlineData(Endpoints.Embeddings, """{"model": "e", "input": 42}""", "body.input", "must be a non-empty string or array, found 42")]
    [InlineData(Endpoints.Completions, """{"model": "m", "messages": [{"role": "user", "content": "Hi"}]}""", "body.prompt", "is required for /v1/completions: a non-empty string or array")]
    [InlineData(Endpoints.Responses, """{"model": "m", "instructions": "Be brief."}""", "body.input", "is required for /v1/responses: a non-empty string or array")]
    [InlineData(Endpoints.Responses, """{"model": "m", "input": "Hi", "max_output_tokens": 0}""", "body.max_output_tokens", "must be a positive integer, found 0")]
    [InlineData(Endpoints.Moderations, """{"model": "omni-moderation-latest"}""", "body.input", "is required for /v1/moderations: a non-empty string or array")]
    [InlineData(Endpoints.Moderations, """{"input": {"text": "Hi"}}""", "body.input", "must be a non-empty string or array, found an object")]
    [InlineData(Endpoints.ChatCompletions, """{"model": "m", "input": "Hi"}""", "body.messages", "is required and must be a non-empty array")]
    public async Task ValidateAsync_LineMissingOrMisshapingTheEndpointsField_NamesLineAndField(string url, string body, string field, string message)
    {
        using var file = TempBatchFile.FromLines(BatchJson.Line("req-0"), Line("req-1", url, body));

        var result = await BatchFileValidator.ValidateAsync(file.Path, Limits, CancellationToken.None);

        result.Errors.ShouldHaveSingleItem().ShouldBe(new BatchFileError(2, field, message));
    }

    [Fact]
    public async Task ValidateAsync_UrlAfterBody_JudgesTheBodyByThatUrl()
    {
        using var file = TempBatchFile.FromLines(
            """{"custom_id": "a", "body": {"model": "e", "input": "Hi"}, "method": "POST", "url": "/v1/embeddings"}""",
            """{"custom_id": "b", "body": {"model": "e", "input": "Hi"}, "method": "POST", "url": "/v1/chat/completions"}""");

        var result = await BatchFileValidator.ValidateAsync(file.Path, Limits, CancellationToken.None);

        result.Errors.Select(e => (e.Line, e.Field)).ShouldBe([(2, "body.messages")]);
    }

    [Fact]
    public async Task ReadAsync_FileMixingUrls_YieldsEachLineWithItsUrlAndGroup()
    {
        using var file = TempBatchFile.FromLines(
            BatchJson.Line("chat-1"),
            Line("emb-1", Endpoints.Embeddings, """{"model": "text-embedding-3-small", "input": ["a", "b"]}"""),
            Line("cmp-1", Endpoints.Completions, """{"model": "gpt-3.5-turbo-instruct", "prompt": "Say"}"""),
            Line("rsp-1", Endpoints.Responses, """{"model": "gpt-4o-mini", "input": "Hi"}"""),
            Line("mod-1", Endpoints.Moderations, """{"input": "Hi", "x_vendor": 1}"""));
        (await BatchFileValidator.ValidateAsync(file.Path, Limits, CancellationToken.None)).Errors.ShouldBeEmpty();

        var lines = new List<BatchLine>();
        await foreach (var line in BatchFileReader.ReadAsync(file.Path, Limits, CancellationToken.None))
        {
            lines.Add(line);
        }

        lines.Select(l => (l.CustomId, l.Url, l.Model)).ShouldBe(
        [
            ("chat-1", Endpoints.ChatCompletions, "gpt-4o-mini"),
            ("emb-1", Endpoints.Embeddings, "text-embedding-3-small"),
            ("cmp-1", Endpoints.Completions, "gpt-3.5-turbo-instruct"),
            ("rsp-1", Endpoints.Responses, "gpt-4o-mini"),
            ("mod-1", Endpoints.Moderations, Endpoints.DefaultModerationModel),
        ]);

        // A moderation line without a model keeps its body as it was: the worker names the deployment's model.
        lines[4].Body.TryGetProperty("model", out _).ShouldBeFalse();
        lines[4].Body.GetProperty("x_vendor").GetInt32().ShouldBe(1);
    }

    [Fact]
    public async Task ValidateAsync_AgainstCatalog_LineNoDeploymentOfItsGroupServes_NamesLineAndUrl()
    {
        var catalog = new CatalogOptions
        {
            Deployments =
            [
                new DeploymentOptions { Id = "chat", ModelGroup = "gpt-4o-mini", Provider = ProviderKind.OpenAI },
                new DeploymentOptions { Id = "emb", ModelGroup = "text-embedding-3-small", Provider = ProviderKind.OpenAI, Endpoints = [Endpoints.Embeddings] },
            ],
        };
        using var file = TempBatchFile.FromLines(
            BatchJson.Line("chat-1"),
            Line("emb-1", Endpoints.Embeddings, """{"model": "text-embedding-3-small", "input": "a"}"""),
            Line("emb-2", Endpoints.Embeddings, """{"model": "gpt-4o-mini", "input": "a"}"""),
            Line("chat-2", Endpoints.ChatCompletions, """{"model": "text-embedding-3-small", "messages": [{"role": "user", "content": "Hi"}]}"""),
            Line("other", Endpoints.Embeddings, """{"model": "not-in-the-catalog", "input": "a"}"""));

        var result = await BatchFileValidator.ValidateAsync(file.Path, Limits, new EndpointCoverage(catalog), CancellationToken.None);

        result.Errors.ShouldBe(
        [
            new BatchFileError(3, "url", "no deployment of model group 'gpt-4o-mini' serves /v1/embeddings; its deployments serve /v1/chat/completions"),
            new BatchFileError(4, "url", "no deployment of model group 'text-embedding-3-small' serves /v1/chat/completions; its deployments serve /v1/embeddings"),
        ]);
    }

    [Fact]
    public void Parse_ValidLinesOfEveryEndpoint_AllocatesNothing()
    {
        var parser = new BatchLineParser();
        var lines = ValidBodies.Select(row => Encoding.UTF8.GetBytes(Line("req-1", (string)row[0], (string)row[1]))).ToArray();
        var coverage = new EndpointCoverage(new CatalogOptions { Deployments = [new DeploymentOptions { Id = "s", ModelGroup = "gpt-4o-mini" }] });
        foreach (var line in lines)
        {
            parser.Parse(line, 1).ShouldBeTrue(); // sizes the scratch buffers
        }

        foreach (var line in lines)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 100; i++)
            {
                parser.Parse(line, 1);
                _ = coverage.Problem(parser.Model, parser.Url);
            }

            (GC.GetAllocatedBytesForCurrentThread() - before).ShouldBe(0, Encoding.UTF8.GetString(line));
        }
    }

    private static string Line(string customId, string url, string body) =>
        $$"""{"custom_id": "{{customId}}", "method": "POST", "url": "{{url}}", "body": {{body}}}""";
}
