using System.Globalization;

namespace Dispatcher.Batches;

/// <summary>
/// A batch's metadata: string keys and values the submitter attaches to it, kept with the batch
/// and shown back, as the Batch API's <c>metadata</c>. The Batch API's limits apply wherever it
/// enters (the CLI's <c>--metadata</c>, <c>POST /v1/batches</c>, a <c>SubmitBatch</c> message),
/// so a batch accepted here would be accepted by OpenAI too.
/// </summary>
internal static class BatchMetadata
{
    /// <summary>The most pairs a batch carries.</summary>
    public const int MaxPairs = 16;

    /// <summary>The longest key, in characters.</summary>
    public const int MaxKeyLength = 64;

    /// <summary>The longest value, in characters.</summary>
    public const int MaxValueLength = 512;

    /// <summary>What is wrong with <paramref name="metadata"/> (null when nothing is), naming <paramref name="field"/> and the key at fault.</summary>
    public static string? Problem(IReadOnlyDictionary<string, string>? metadata, string field)
    {
        if (metadata is null)
        {
            return null;
        }

        if (metadata.Count > MaxPairs)
        {
            return Invariant($"{field}: at most {MaxPairs} key-value pairs, got {metadata.Count}");
        }

        foreach (var (key, value) in metadata)
        {
            if (string.IsNullOrEmpty(key))
            {
                return $"{field}: a key must not be empty";
            }

            if (key.Length > MaxKeyLength)
            {
                return Invariant($"{field}: key '{key[..20]}…' is {key.Length} characters, at most {MaxKeyLength} are allowed");
            }

            if (value is null)
            {
                return $"{field}: the value of '{key}' must be a string";
            }

            if (value.Length > MaxValueLength)
            {
                return Invariant($"{field}: the value of '{key}' is {value.Length} characters, at most {MaxValueLength} are allowed");
            }
        }

        return null;
    }

    /// <summary>
    /// Reads <c>key=value</c> pairs (the CLI's repeated <c>--metadata</c>): the first <c>=</c>
    /// separates the key from the value, which may itself hold <c>=</c> or be empty. Null with the
    /// problem, naming <paramref name="field"/>, when a pair has no <c>=</c>, a key comes twice, or
    /// the limits are passed.
    /// </summary>
    public static IReadOnlyDictionary<string, string>? TryParse(IEnumerable<string> pairs, string field, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in pairs)
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                problem = $"{field} must be key=value with a non-empty key, got '{pair}'";
                return null;
            }

            var key = pair[..equals];
            if (!metadata.TryAdd(key, pair[(equals + 1)..]))
            {
                problem = $"{field}: key '{key}' is given twice";
                return null;
            }
        }

        problem = Problem(metadata, field);
        return problem is null ? metadata : null;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
