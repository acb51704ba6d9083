using System.Text.Json;
using System.Threading.Channels;

namespace Dispatcher.Submitter.Results;

/// <summary>Result events on their way to stdout, one JSON line each, in arrival order.</summary>
internal sealed class ResultStream
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly Channel<string> _lines = Channel.CreateBounded<string>(1024);

    public ChannelReader<string> Lines => _lines.Reader;

    public ValueTask AddAsync<T>(string kind, T result, CancellationToken ct) =>
        _lines.Writer.WriteAsync(JsonSerializer.Serialize(new ResultEnvelope<T>(kind, result), Json), ct);

    private sealed record ResultEnvelope<T>(string Event, T Result);
}
