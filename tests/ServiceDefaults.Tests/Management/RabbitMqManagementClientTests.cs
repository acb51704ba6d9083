using System.Net;
using System.Text;
using Dispatcher.ServiceDefaults.Management;
using Dispatcher.ServiceDefaults.Messaging;

namespace Dispatcher.ServiceDefaults.Tests.Management;

// Answer shapes and error mapping against canned HTTP answers; the same client runs against a real
// broker in Integration.Tests.
public sealed class RabbitMqManagementClientTests
{
    private const string Password = "s3cret-password";

    [Fact]
    public async Task GetQueueDepthsAsync_DefaultVirtualHost_RequestsEscapedPathWithBasicAuth()
    {
        var handler = new CannedHandler(HttpStatusCode.OK, "[]");

        await CreateClient(handler).GetQueueDepthsAsync();

        handler.Request.ShouldNotBeNull();
        handler.Request.RequestUri!.AbsoluteUri.ShouldBe("http://127.0.0.1:15672/api/queues/%2F");
        handler.Request.Headers.Authorization!.Scheme.ShouldBe("Basic");
        var credentials = Encoding.UTF8.GetString(Convert.FromBase64String(handler.Request.Headers.Authorization.Parameter!));
        credentials.ShouldBe($"guest:{Password}");
    }

    [Fact]
    public async Task GetQueueDepthsAsync_Answer_MapsCountsAndRatesSortedByName()
    {
        const string Body = """
            [
              {"name":"work.b","vhost":"/","messages_ready":7,"messages_unacknowledged":3,"consumers":2,
               "message_stats":{"publish":40,"publish_details":{"rate":4.5},"deliver_get":30,"deliver_get_details":{"rate":3.0}}},
              {"name":"work.a","vhost":"/","messages_ready":0,"messages_unacknowledged":0,"consumers":0}
            ]
            """;

        var queues = await CreateClient(new CannedHandler(HttpStatusCode.OK, Body)).GetQueueDepthsAsync();

        queues.ShouldBe(
        [
            new QueueDepthSample("work.a", 0, 0, 0, null, null),
            new QueueDepthSample("work.b", 7, 3, 2, 4.5, 3.0),
        ]);
    }

    [Fact]
    public async Task GetQueueDepthsAsync_QueueWithoutStatsYet_ReportsZeros()
    {
        const string Body = """[{"name":"just.declared","vhost":"/","durable":true}]""";

        var queues = await CreateClient(new CannedHandler(HttpStatusCode.OK, Body)).GetQueueDepthsAsync();

        queues.ShouldHaveSingleItem().ShouldBe(new QueueDepthSample("just.declared", 0, 0, 0, null, null));
    }

    [Fact]
    public async Task GetQueueDepthsAsync_Unauthorized_ThrowsWithoutCredentials()
    {
        var client = CreateClient(new CannedHandler(HttpStatusCode.Unauthorized, """{"error":"not_authorised"}"""));

        var error = await Should.ThrowAsync<RabbitMqManagementException>(() => client.GetQueueDepthsAsync());

        error.Message.ShouldContain("rejected the credentials (401)");
        error.ToString().ShouldNotContain(Password);
    }

    [Fact]
    public async Task GetQueueDepthsAsync_UnknownVirtualHost_NamesIt()
    {
        var client = CreateClient(new CannedHandler(HttpStatusCode.NotFound, """{"error":"Object Not Found"}"""), virtualHost: "batches");

        var error = await Should.ThrowAsync<RabbitMqManagementException>(() => client.GetQueueDepthsAsync());

        error.Message.ShouldContain("'batches'");
    }

    [Fact]
    public async Task GetQueueDepthsAsync_BodyNotAQueueList_Throws()
    {
        var client = CreateClient(new CannedHandler(HttpStatusCode.OK, "<html>proxy error</html>"));

        var error = await Should.ThrowAsync<RabbitMqManagementException>(() => client.GetQueueDepthsAsync());

        error.Message.ShouldContain("not a queue list");
    }

    [Fact]
    public void Constructor_CredentialsInBaseAddress_RejectsThemWithoutEchoingThem()
    {
        var options = new RabbitMqManagementOptions
        {
            BaseAddress = new Uri($"http://guest:{Password}@127.0.0.1:15672/"),
            Username = "guest",
            Password = Password,
        };

        using var httpClient = new HttpClient();

        var error = Should.Throw<ArgumentException>(() => new RabbitMqManagementClient(httpClient, options));

        error.Message.ShouldContain("RabbitMq:Management:BaseAddress");
        error.Message.ShouldNotContain(Password);
    }

    [Fact]
    public async Task GetQueueDepthsAsync_FirstNodeUnreachable_AsksTheNextAndStaysWithIt()
    {
        var handler = new NodesHandler(down: "rabbit-a");
        var client = new RabbitMqManagementClient(new HttpClient(handler), ForBroker("rabbit-a:5672", "rabbit-b:5672"));

        (await client.GetQueueDepthsAsync()).ShouldHaveSingleItem().Queue.ShouldBe("on-rabbit-b");
        await client.GetQueueDepthsAsync();

        handler.Hosts.ShouldBe(["rabbit-a", "rabbit-b", "rabbit-b"]);
    }

    [Fact]
    public async Task GetQueueDepthsAsync_EveryNodeUnreachable_ThrowsNamingTheLast()
    {
        var client = new RabbitMqManagementClient(new HttpClient(new NodesHandler(down: "*")), ForBroker("rabbit-a", "rabbit-b"));

        var error = await Should.ThrowAsync<RabbitMqManagementException>(() => client.GetQueueDepthsAsync());

        error.Message.ShouldContain("rabbit-b:15672");
    }

    [Fact]
    public async Task GetQueueDepthsAsync_FirstNodeRefusesTheCredentials_DoesNotHideItBehindTheNext()
    {
        var client = new RabbitMqManagementClient(new HttpClient(new NodesHandler(down: "", unauthorized: "rabbit-a")), ForBroker("rabbit-a", "rabbit-b"));

        var error = await Should.ThrowAsync<RabbitMqManagementException>(() => client.GetQueueDepthsAsync());

        error.Message.ShouldContain("401");
    }

    private static RabbitMqManagementOptions ForBroker(params string[] hosts) =>
        RabbitMqManagementOptions.ForBroker(new RabbitMqOptions { Hosts = [.. hosts] });

    private static RabbitMqManagementClient CreateClient(CannedHandler handler, string virtualHost = "/") =>
        new(new HttpClient(handler), new RabbitMqManagementOptions
        {
            BaseAddress = new Uri("http://127.0.0.1:15672"),
            Username = "guest",
            Password = Password,
            VirtualHost = virtualHost,
        });

    // Answers as a cluster would whose node "down" ("*": every node) has no API listening.
    private sealed class NodesHandler(string down, string unauthorized = "") : HttpMessageHandler
    {
        public List<string> Hosts { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var host = request.RequestUri!.Host;
            Hosts.Add(host);
            if (down == "*" || host == down)
            {
                throw new HttpRequestException("Connection refused");
            }

            return Task.FromResult(new HttpResponseMessage(host == unauthorized ? HttpStatusCode.Unauthorized : HttpStatusCode.OK)
            {
                Content = new StringContent($$"""[{"name":"on-{{host}}"}]""", Encoding.UTF8, "application/json"),
            });
        }
    }

    private sealed class CannedHandler(HttpStatusCode status, string body) : HttpMessageHandler
    {
        public HttpRequestMessage? Request { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Request = request;
            return Task.FromResult(new HttpResponseMessage(status)
            {
                Content = new StringContent(body, Encoding.UTF8, "application/json"),
            });
        }
    }
}
