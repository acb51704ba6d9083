using System.Text.Json;
using Dispatcher.Tests.Support;

namespace Dispatcher.Bench.Tokens;

/// <summary>A request the token bench counts, with what the OpenAI API reported for it when that is published.</summary>
/// <param name="Name">What the request is.</param>
/// <param name="Body">The chat completions body.</param>
/// <param name="ApiO200k">Prompt tokens the API reported on gpt-4o / gpt-4o-mini, when published.</param>
/// <param name="ApiCl100k">Prompt tokens the API reported on gpt-4 / gpt-3.5-turbo, when published.</param>
internal sealed record TokenCase(string Name, JsonElement Body, int? ApiO200k = null, int? ApiCl100k = null)
{
    /// <summary>
    /// The cases: the OpenAI Cookbook's two examples with the API's reported counts ("How to count
    /// tokens with tiktoken", sections 6 and 7), then English, Chinese, Japanese, Korean and Hindi
    /// prose and a tool-heavy request, for which no API count is at hand here.
    /// </summary>
    public static IReadOnlyList<TokenCase> All { get; } =
    [
        new("cookbook conversation (English)", Json(CookbookExamples.Conversation), ApiO200k: 124, ApiCl100k: 129),
        new("cookbook tool request", Json(CookbookExamples.Tools), ApiO200k: 101, ApiCl100k: 105),
        new("English prose, 1 message", Chat(Repeat("The dispatcher records each job in a ledger, picks a deployment for it and sends it to that deployment's queue. ", 12))),
        new("Chinese prose", Chat(Repeat("调度器把每个任务记录在账本中，为它选择一个部署，并把它发送到该部署的队列。", 12))),
        new("Japanese prose", Chat(Repeat("ディスパッチャーは各ジョブを台帳に記録し、デプロイメントを選んでそのキューに送ります。", 12))),
        new("Korean prose", Chat(Repeat("디스패처는 각 작업을 원장에 기록하고 배포를 선택하여 해당 배포의 대기열로 보냅니다. ", 12))),
        new("Hindi prose", Chat(Repeat("डिस्पैचर हर काम को खाते में दर्ज करता है, उसके लिए एक परिनियोजन चुनता है और उसे उस कतार में भेजता है। ", 12))),
        new("tool-heavy: 6 tools, short question", ToolHeavy()),
    ];

    private static string Repeat(string text, int times) => string.Concat(Enumerable.Repeat(text, times));

    private static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement.Clone();

    private static JsonElement Chat(string text) => JsonSerializer.SerializeToElement(new
    {
        model = "gpt-4o",
        max_tokens = 256,
        messages = new object[]
        {
            new { role = "system", content = "You are a careful assistant." },
            new { role = "user", content = text },
        },
    });

    private static JsonElement ToolHeavy()
    {
        object Tool(string name, string description, params (string Name, string Type, string Description, string[]? Enum)[] properties) => new
        {
            type = "function",
            function = new
            {
                name,
                description,
                parameters = new
                {
                    type = "object",
                    properties = properties.ToDictionary(
                        p => p.Name,
                        p => p.Enum is null ? (object)new { type = p.Type, description = p.Description } : new { type = p.Type, description = p.Description, @enum = p.Enum }),
                    required = properties.Take(1).Select(p => p.Name).ToArray(),
                },
            },
        };

        return JsonSerializer.SerializeToElement(new
        {
            model = "gpt-4o",
            messages = new object[]
            {
                new { role = "system", content = "You are an operations assistant. Use the tools to answer." },
                new { role = "user", content = "Which deployments of gpt-4o-mini are paused, and why?" },
            },
            tools = new[]
            {
                Tool("list_deployments", "List the deployments of a model group.", ("model_group", "string", "The model group, e.g. gpt-4o-mini.", null), ("region", "string", "Only deployments in this region.", ["us-east", "us-west", "eu"])),
                Tool("get_quota", "Get a deployment's quota use in the current window.", ("deployment", "string", "The deployment id.", null)),
                Tool("get_breaker", "Get the state of a deployment's circuit breaker.", ("deployment", "string", "The deployment id.", null)),
                Tool("pause_batch", "Pause a batch: no new attempt starts until it is resumed.", ("batch_id", "string", "The batch id.", null), ("reason", "string", "Why the batch is paused.", null)),
                Tool("list_dead_letters", "List the jobs of a batch that ended failed.", ("batch_id", "string", "The batch id.", null), ("limit", "integer", "At most this many jobs.", null), ("kind", "string", "Only failures of this kind.", ["rate_limited", "timeout", "server_error", "context_length_exceeded"])),
                Tool("get_status", "Get the dispatcher's status: queues, quotas, breakers and budgets.", ("verbose", "boolean", "Include every deployment's details.", null)),
            },
        });
    }
}
