using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Integration.Tests.Faults;

/// <summary>
/// A misbehaving OpenAI-compatible provider on 127.0.0.1 (Kestrel, ephemeral port). Under
/// <c>/hang/v1</c> it never answers within any sane timeout; under <c>/malformed/v1</c> it answers
/// 200 with bodies that are not chat completions, some of them echoing the caller's credentials
/// as a broken proxy might.
/// </summary>
internal sealed class LoopbackProviderServer : IAsyncDisposable
{
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(60);

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<string> _authorizations = new();
    private int _malformed;

    private LoopbackProviderServer(WebApplication app)
    {
        _app = app;
    }

    /// <summary>The server's root, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri Address { get; private set; } = null!;

    /// <summary>The Authorization headers received, in order.</summary>
    public IReadOnlyList<string> Authorizations => [.. _authorizations];

    public static async Task<LoopbackProviderServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var server = new LoopbackProviderServer(app);
        app.Run(server.HandleAsync);
        await app.StartAsync();
        server.Address = new Uri(app.Urls.Single().TrimEnd('/') + "/");
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var authorization = context.Request.Headers.Authorization.ToString();
        _authorizations.Enqueue(authorization);
        var path = context.Request.Path.Value ?? "";
        if (path.StartsWith("/hang/", StringComparison.Ordinal))
        {
            try
            {
                await Task.Delay(Hang, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                // The caller gave up: that is the point.
                return;
            }

            context.Response.StatusCode = 504;
            return;
        }

        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        var body = (Interlocked.Increment(ref _malformed) % 3) switch
        {
            0 => $"upstream proxy error; request was Authorization: {authorization}",
            1 => $$"""{"id": "chatcmpl-broken", "object": "chat.completion", "choices": "{{authorization}}"}""",
            _ => """{"id": "chatcmpl-trunc", "object": "chat.completion", "choices": [{"index": 0, "message": {"role": "assist""",
        };
        await context.Response.WriteAsync(body, context.RequestAborted);
    }
}
