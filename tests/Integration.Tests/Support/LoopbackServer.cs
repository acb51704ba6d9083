using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Integration.Tests.Support;

/// <summary>A request a <see cref="LoopbackServer"/> received, body as raw bytes.</summary>
public sealed record LoopbackRequest(string Method, string Path, IReadOnlyDictionary<string, string> Headers, byte[] Body)
{
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}

/// <summary>
/// A real HTTP server (Kestrel) on 127.0.0.1 and an ephemeral port that records every request
/// and answers as the test says: an OTLP collector, a provider stub.
/// </summary>
public sealed class LoopbackServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<LoopbackRequest> _received = new();

    private LoopbackServer(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    /// <summary>The server's root, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri Address { get; }

    public IReadOnlyList<LoopbackRequest> Received => [.. _received];

    /// <summary>Starts a server; <paramref name="answer"/> writes the response (default: an empty 200).</summary>
    public static async Task<LoopbackServer> StartAsync(Func<LoopbackRequest, HttpResponse, Task>? answer = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        LoopbackServer? server = null;
        app.Run(async context =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted);
            var request = new LoopbackRequest(
                context.Request.Method,
                context.Request.Path.Value ?? "",
                context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
                body.ToArray());
            server!._received.Enqueue(request);
            if (answer is not null)
            {
                await answer(request, context.Response);
            }
        });
        await app.StartAsync();
        server = new LoopbackServer(app, new Uri(app.Urls.Single().TrimEnd('/') + "/"));
        return server;
    }

    /// <summary>Everything received on <paramref name="path"/>, body bytes concatenated.</summary>
    public byte[] BodiesOf(string path) => Received.Where(r => r.Path == path).SelectMany(r => r.Body).ToArray();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
