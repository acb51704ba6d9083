namespace Dispatcher.Workers.Providers.Http;

/// <summary>
/// The headers of one provider answer, looked up by name without regard to case. Each SDK hands
/// headers over in its own shape; classification reads them through this one.
/// </summary>
internal sealed class ProviderResponseHeaders
{
    private readonly Dictionary<string, string> _values;

    private ProviderResponseHeaders(Dictionary<string, string> values) => _values = values;

    /// <summary>No headers at all.</summary>
    public static ProviderResponseHeaders Empty { get; } = new(new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase));

    /// <summary>The value of <paramref name="name"/>, or null when the answer has no such header.</summary>
    public string? this[string name] => _values.TryGetValue(name, out var value) ? value : null;

    /// <summary>From single-valued headers, as System.ClientModel's <c>PipelineResponseHeaders</c> gives them.</summary>
    public static ProviderResponseHeaders From(IEnumerable<KeyValuePair<string, string>> headers)
    {
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in headers)
        {
            values.TryAdd(name, value.Trim());
        }

        return new ProviderResponseHeaders(values);
    }

    /// <summary>From multi-valued headers, as <see cref="System.Net.Http.Headers.HttpHeaders"/> gives them; the first value wins.</summary>
    public static ProviderResponseHeaders From(IEnumerable<KeyValuePair<string, IEnumerable<string>>> headers)
    {
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, all) in headers)
        {
            var first = all.FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));
            if (first is not null)
            {
                values.TryAdd(name, first.Trim());
            }
        }

        return new ProviderResponseHeaders(values);
    }
}
