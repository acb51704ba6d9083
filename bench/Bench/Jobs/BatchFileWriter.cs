using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Dispatcher.Bench.Jobs;

/// <summary>
/// Writes batch files in the OpenAI Batch input format, shaped like samples/batch-1000.jsonl
/// (a system and a user message, max_tokens, temperature; about 250 bytes a line). The content
/// is a deterministic function of the line number, so runs are repeatable.
/// </summary>
internal static class BatchFileWriter
{
    private static readonly string[] Topics =
    [
        "vaccines", "binary search", "photosynthesis", "the French revolution", "compound interest",
        "black holes", "TCP handshakes", "plate tectonics", "the immune system", "supply and demand",
        "quantum entanglement", "garbage collection", "the water cycle", "neural networks", "inflation",
    ];

    private static readonly string[] Templates =
    [
        "Summarise {0} in three bullet points.",
        "Explain {0} to a ten-year-old.",
        "Write a haiku about {0}.",
        "List two common misconceptions about {0}.",
        "Give one real-world example of {0}.",
    ];

    private static readonly int[] MaxTokens = [32, 64, 128];

    /// <summary>Writes <paramref name="lines"/> requests for model group <paramref name="model"/>; returns the file's size in bytes.</summary>
    public static Task<long> WriteAsync(string path, int lines, string model, CancellationToken ct) => WriteAsync(path, lines, [model], ct);

    /// <summary>
    /// Writes <paramref name="lines"/> requests whose model groups take turns through
    /// <paramref name="models"/> (the first line the first group's, the next line the next group's),
    /// so each group gets an even share of the file; returns the file's size in bytes.
    /// </summary>
    public static async Task<long> WriteAsync(string path, int lines, IReadOnlyList<string> models, CancellationToken ct)
    {
        var modelJsons = models.Select(m => JsonSerializer.Serialize(m)).ToArray();
        await using (var writer = new StreamWriter(path, append: false, new UTF8Encoding(false), bufferSize: 1 << 16))
        {
            writer.NewLine = "\n";
            for (var i = 1; i <= lines; i++)
            {
                await writer.WriteLineAsync(Line(i, modelJsons[(i - 1) % modelJsons.Length]).AsMemory(), ct);
            }
        }

        return new FileInfo(path).Length;
    }

    private static string Line(int i, string modelJson)
    {
        var topic = Topics[i % Topics.Length];
        var prompt = string.Format(CultureInfo.InvariantCulture, Templates[(i / Topics.Length) % Templates.Length], topic);
        var maxTokens = MaxTokens[i % MaxTokens.Length];
        return string.Create(
            CultureInfo.InvariantCulture,
            $$$"""{"custom_id": "request-{{{i}}}", "method": "POST", "url": "/v1/chat/completions", "body": {"model": {{{modelJson}}}, "messages": [{"role": "system", "content": "You are a concise assistant."}, {"role": "user", "content": "{{{prompt}}}"}], "max_tokens": {{{maxTokens}}}, "temperature": 0.2}}""");
    }
}
