using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace Dispatcher.Batches;

/// <summary>
/// Streams the requests of a bulk-submit file for publishing, after
/// <see cref="BatchFileValidator"/> accepted it. Holds one line buffer however long the file is.
/// </summary>
internal static class BatchFileReader
{
    /// <summary>Reads the requests of the file at <paramref name="path"/>, skipping blank lines.</summary>
    /// <exception cref="BatchFileFormatException">A line is not a valid request, naming the line and field.</exception>
    public static IAsyncEnumerable<BatchLine> ReadAsync(string path, BatchFileLimits limits, CancellationToken ct) =>
        ReadAsync(path, limits, progress: null, ct);

    /// <summary>
    /// Reads the requests of the file at <paramref name="path"/>, skipping blank lines, and reports
    /// the bytes read so far to <paramref name="progress"/>. The count runs ahead of the lines
    /// handed out by at most one read.
    /// </summary>
    /// <exception cref="BatchFileFormatException">A line is not a valid request, naming the line and field.</exception>
    public static async IAsyncEnumerable<BatchLine> ReadAsync(
        string path,
        BatchFileLimits limits,
        IProgress<long>? progress,
        [EnumeratorCancellation] CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(limits);

        var parser = new BatchLineParser();
        await using var stream = BatchFileStream.Open(path);
        using var splitter = new JsonlLineSplitter(stream, limits.MaxLineBytes, progress);
        while (await splitter.MoveNextAsync(ct).ConfigureAwait(false))
        {
            if (!splitter.IsBlank)
            {
                yield return ToBatchLine(path, limits, splitter, parser);
            }
        }
    }

    // Kept out of the iterator because spans cannot live across its awaits and yields.
    private static BatchLine ToBatchLine(string path, BatchFileLimits limits, JsonlLineSplitter splitter, BatchLineParser parser)
    {
        if (splitter.OversizedLength > 0)
        {
            throw new BatchFileFormatException(
                path, BatchFileError.LineTooLong(splitter.LineNumber, limits.MaxLineBytes, splitter.OversizedLength));
        }

        var line = splitter.Line;
        if (!parser.Parse(line, splitter.LineNumber))
        {
            throw new BatchFileFormatException(path, parser.Errors[0]);
        }

        // ParseValue copies the body into a document of its own, so it outlives the line buffer
        // and needs no disposal; unknown fields come along untouched.
        var body = new Utf8JsonReader(line[parser.Body]);
        return new BatchLine(
            splitter.LineNumber,
            Encoding.UTF8.GetString(parser.CustomId),
            Encoding.UTF8.GetString(parser.Model),
            JsonElement.ParseValue(ref body),
            line.Length,
            parser.Url);
    }
}
