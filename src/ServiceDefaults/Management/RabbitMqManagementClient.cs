using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Dispatcher.ServiceDefaults.Management;

/// <summary>Reads queue depths from the RabbitMQ management plugin's HTTP API (<c>GET /api/queues/{vhost}</c>).</summary>
/// <remarks>
/// The counts are the broker's latest statistics sample, so they trail reality by up to one
/// <c>collect_statistics_interval</c> (5 s by default). Credentials travel only in the request's
/// Authorization header: no message this type produces contains them.
/// </remarks>
public sealed class RabbitMqManagementClient
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    private readonly HttpClient _httpClient;
    private readonly Uri[] _queuesUris;
    private readonly string[] _addresses;
    private readonly string _virtualHost;
    private readonly AuthenticationHeaderValue _authorization;
    private int _current;

    public RabbitMqManagementClient(HttpClient httpClient, RabbitMqManagementOptions options)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        ArgumentNullException.ThrowIfNull(options);

        const string Section = RabbitMqManagementOptions.SectionName;
        Uri?[] baseAddresses = [options.BaseAddress, .. options.FallbackAddresses];
        foreach (var baseAddress in baseAddresses)
        {
            if (baseAddress is null || !baseAddress.IsAbsoluteUri || (baseAddress.Scheme != Uri.UriSchemeHttp && baseAddress.Scheme != Uri.UriSchemeHttps))
            {
                throw new ArgumentException($"{Section}:BaseAddress must be an absolute http or https address.", nameof(options));
            }

            // A password in the address would leak into every message that names the address.
            if (!string.IsNullOrEmpty(baseAddress.UserInfo))
            {
                throw new ArgumentException($"{Section}:BaseAddress must not carry credentials; set {Section}:Username and {Section}:Password.", nameof(options));
            }
        }

        if (string.IsNullOrEmpty(options.Username) || string.IsNullOrEmpty(options.Password) || string.IsNullOrEmpty(options.VirtualHost))
        {
            throw new ArgumentException($"{Section}:Username, {Section}:Password and {Section}:VirtualHost must be set.", nameof(options));
        }

        _httpClient = httpClient;
        _addresses = baseAddresses.Select(a => a!.GetComponents(UriComponents.SchemeAndServer, UriFormat.UriEscaped)).ToArray();
        _virtualHost = options.VirtualHost;

        // The default virtual host "/" must travel as %2F.
        _queuesUris = baseAddresses
            .Select(a => new Uri(a!.AbsoluteUri.EndsWith('/') ? a : new Uri(a.AbsoluteUri + "/"), "api/queues/" + Uri.EscapeDataString(options.VirtualHost)))
            .ToArray();
        _authorization = new AuthenticationHeaderValue(
            "Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes(options.Username + ":" + options.Password)));
    }

    /// <summary>
    /// Every queue in the virtual host, sorted by name (ordinal), from the first node that answers:
    /// the one that answered last, then the others in order.
    /// </summary>
    /// <exception cref="RabbitMqManagementException">No node's API is reachable, or the one reached refuses the credentials or answers with something other than a queue list.</exception>
    public async Task<IReadOnlyList<QueueDepthSample>> GetQueueDepthsAsync(CancellationToken cancellationToken = default)
    {
        var start = _current;
        for (var i = 0; ; i++)
        {
            var node = (start + i) % _queuesUris.Length;
            try
            {
                var queues = await GetQueueDepthsAsync(node, cancellationToken).ConfigureAwait(false);
                _current = node;
                return queues;
            }
            catch (RabbitMqManagementException e) when (i < _queuesUris.Length - 1 && e.InnerException is HttpRequestException or TaskCanceledException)
            {
                // This node's API is not there: the next one may be.
            }
        }
    }

    private async Task<IReadOnlyList<QueueDepthSample>> GetQueueDepthsAsync(int node, CancellationToken cancellationToken)
    {
        var address = _addresses[node];
        using var request = new HttpRequestMessage(HttpMethod.Get, _queuesUris[node]);
        request.Headers.Authorization = _authorization;
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));

        List<QueueResource>? queues;
        try
        {
            using var response = await _httpClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            EnsureSuccess(response, address);
            var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (body.ConfigureAwait(false))
            {
                queues = await JsonSerializer.DeserializeAsync<List<QueueResource>>(body, JsonOptions, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (HttpRequestException ex)
        {
            throw new RabbitMqManagementException($"management API at {address} not reachable: enable the rabbitmq_management plugin", ex);
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new RabbitMqManagementException(
                string.Create(CultureInfo.InvariantCulture, $"management API at {address} did not answer within {_httpClient.Timeout.TotalSeconds:0} s"),
                ex);
        }
        catch (JsonException ex)
        {
            throw new RabbitMqManagementException($"management API at {address} answered with a body that is not a queue list", ex);
        }

        return (queues ?? [])
            .Where(queue => queue.Name is not null)
            .Select(queue => new QueueDepthSample(
                queue.Name!,
                queue.MessagesReady ?? 0,
                queue.MessagesUnacknowledged ?? 0,
                queue.Consumers ?? 0,
                queue.MessageStats?.PublishDetails?.Rate,
                queue.MessageStats?.DeliverGetDetails?.Rate))
            .OrderBy(queue => queue.Queue, StringComparer.Ordinal)
            .ToList();
    }

    private void EnsureSuccess(HttpResponseMessage response, string address)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        const string Section = RabbitMqManagementOptions.SectionName;
        throw response.StatusCode switch
        {
            HttpStatusCode.Unauthorized => new RabbitMqManagementException(
                $"management API at {address} rejected the credentials (401): check {Section}:Username and {Section}:Password"),
            HttpStatusCode.NotFound => new RabbitMqManagementException(
                $"management API at {address} has no virtual host '{_virtualHost}' (404)"),
            _ => new RabbitMqManagementException(string.Create(
                CultureInfo.InvariantCulture,
                $"management API at {address} answered {(int)response.StatusCode} {response.ReasonPhrase}")),
        };
    }

    // Fields the API may leave out: a queue declared a moment ago has no counters until the next
    // statistics sample, and message_stats appears only once messages have flowed.
    private sealed class QueueResource
    {
        public string? Name { get; init; }

        public long? MessagesReady { get; init; }

        public long? MessagesUnacknowledged { get; init; }

        public int? Consumers { get; init; }

        public MessageStatsResource? MessageStats { get; init; }
    }

    private sealed class MessageStatsResource
    {
        public RateResource? PublishDetails { get; init; }

        public RateResource? DeliverGetDetails { get; init; }
    }

    private sealed class RateResource
    {
        public double? Rate { get; init; }
    }
}
