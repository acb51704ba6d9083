using System.Globalization;
using System.Text.Json;
using Dispatcher.Contracts;

namespace Dispatcher.Workers.Providers.Http;

/// <summary>
/// Classifies one HTTP answer from a provider (status, headers, body) into a <see cref="ProviderOutcome"/>.
/// Shared by every HTTP adapter; what a usable 2xx body looks like is the <see cref="ICompletionReader"/>'s business.
/// </summary>
internal sealed class ProviderResponseClassifier
{
    private readonly ICompletionReader _reader;
    private readonly RateLimitHeaderReader _rateLimits;

    /// <summary>Creates a classifier that reads 2xx bodies with <paramref name="reader"/> and dates against <paramref name="timeProvider"/>.</summary>
    public ProviderResponseClassifier(ICompletionReader reader, TimeProvider timeProvider)
    {
        _reader = reader;
        _rateLimits = new RateLimitHeaderReader(timeProvider);
    }

    /// <summary>Classifies an answer.</summary>
    public ProviderOutcome Classify(int status, ProviderResponseHeaders headers, string? body)
    {
        var limits = _rateLimits.Read(headers);
        var anomalies = new List<ProviderAnomaly>(limits.Anomalies);
        var requestId = headers["x-request-id"] ?? headers["request-id"];
        var providerTime = ProcessingTime(headers, anomalies);
        if (status is >= 200 and <= 299)
        {
            var read = ReadCompletion(body);
            anomalies.AddRange(read.Anomalies ?? []);
            return new ProviderOutcome(
                read.Error, status, read.Completion, read.Usage, read.Message, limits.RetryAfter, requestId, limits.Snapshot, providerTime, Found(anomalies));
        }

        var error = ProviderErrorBody.Parse(body);
        var message = error.Message ?? $"The provider answered HTTP {status} without an error message.";
        return new ProviderOutcome(
            HttpErrorClassifier.Classify(status, error), status, null, null, message, limits.RetryAfter, requestId, limits.Snapshot, providerTime, Found(anomalies));
    }

    // OpenAI's openai-processing-ms: whole milliseconds the provider spent on the request. A value
    // that is not a number is ignored, as if it were absent; a negative one is impossible and
    // dropped, and one longer than a day (no call takes that long) is read as a day.
    private static TimeSpan? ProcessingTime(ProviderResponseHeaders headers, List<ProviderAnomaly> anomalies)
    {
        const string Header = "openai-processing-ms";
        var value = headers[Header];
        if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var ms))
        {
            return null;
        }

        if (double.IsNaN(ms) || ms < 0)
        {
            anomalies.Add(ProviderAnomaly.Of(ProviderAnomaly.ProcessingTime, Header, value!, "is not a duration; ignored"));
            return null;
        }

        if (ms > RateLimitHeaderReader.MaxWait.TotalMilliseconds)
        {
            anomalies.Add(ProviderAnomaly.Of(ProviderAnomaly.ProcessingTime, Header, value!, "is longer than a day; read as one day"));
            return RateLimitHeaderReader.MaxWait;
        }

        return TimeSpan.FromMilliseconds(ms);
    }

    private static IReadOnlyList<ProviderAnomaly>? Found(List<ProviderAnomaly> anomalies) => anomalies.Count == 0 ? null : anomalies;

    private CompletionRead ReadCompletion(string? body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return CompletionRead.Failure(ErrorKind.MalformedResponse, "The provider answered with an empty body.");
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            return _reader.Read(document.RootElement);
        }
        catch (JsonException)
        {
            // The body itself stays out of the message: it is not ours to log.
            return CompletionRead.Failure(ErrorKind.MalformedResponse, "The provider's answer is not JSON.");
        }
    }
}
