using System.Text;
using System.Text.Json.Nodes;

namespace Dispatcher.Bench.Quota.Scenarios;

/// <summary>One batch of the quota benchmark beside the English one: its catalog and how its jobs look.</summary>
/// <param name="Name">The name <c>--quota-scenarios</c> selects it by.</param>
/// <param name="Description">What the batch is, for the report.</param>
/// <param name="Shape">The catalog's model group and deployments.</param>
/// <param name="Body">The request body of job i (1-based) for a model group.</param>
internal sealed record QuotaScenario(string Name, string Description, CatalogShape Shape, Func<int, string, JsonObject> Body)
{
    /// <summary>Writes <paramref name="lines"/> jobs as a batch file in the OpenAI Batch input format.</summary>
    public async Task WriteAsync(string path, int lines, CancellationToken ct)
    {
        await using var writer = new StreamWriter(path, append: false, new UTF8Encoding(false), bufferSize: 1 << 16);
        writer.NewLine = "\n";
        for (var i = 1; i <= lines; i++)
        {
            var line = new JsonObject
            {
                ["custom_id"] = "request-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["method"] = "POST",
                ["url"] = "/v1/chat/completions",
                ["body"] = Body(i, Shape.ModelGroup),
            };
            await writer.WriteLineAsync(line.ToJsonString().AsMemory(), ct);
        }
    }
}
