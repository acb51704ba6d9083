using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace Dispatcher.ServiceDefaults.Tests.Telemetry;

/// <summary>An OTLP request a <see cref="OtlpCollector"/> received.</summary>
public sealed record OtlpRequest(string Path, string? ContentType, byte[] Body)
{
    /// <summary>Whether the protobuf body holds <paramref name="text"/> (a span, instrument or service name).</summary>
    public bool Contains(string text) => Body.AsSpan().IndexOf(Encoding.UTF8.GetBytes(text)) >= 0;
}

/// <summary>
/// A stand-in OTLP collector: Kestrel on 127.0.0.1 and an ephemeral port, recording every
/// request. With <c>grpc</c> it speaks HTTP/2 without TLS and answers with an OK status.
/// </summary>
public sealed class OtlpCollector : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<OtlpRequest> _received = new();

    private OtlpCollector(WebApplication app) => _app = app;

    /// <summary>The collector's base address, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri Address { get; private set; } = null!;

    public IReadOnlyList<OtlpRequest> Received => [.. _received];

    public static async Task<OtlpCollector> StartAsync(bool grpc = false)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0, l => l.Protocols = grpc ? HttpProtocols.Http2 : HttpProtocols.Http1));
        var app = builder.Build();
        var collector = new OtlpCollector(app);
        app.Run(async context =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted);
            collector._received.Enqueue(new OtlpRequest(context.Request.Path.Value ?? "", context.Request.ContentType, body.ToArray()));
            if (grpc)
            {
                // One empty response message, then the status in the trailers.
                context.Response.ContentType = "application/grpc";
                await context.Response.Body.WriteAsync(new byte[5], context.RequestAborted);
                context.Response.AppendTrailer("grpc-status", "0");
            }
        });
        await app.StartAsync();
        collector.Address = new Uri(app.Urls.Single().TrimEnd('/') + "/");
        return collector;
    }

    /// <summary>Waits until a request satisfies <paramref name="condition"/>; fails after 20 s, listing what came.</summary>
    public async Task<OtlpRequest> WaitForAsync(Func<OtlpRequest, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            if (Received.FirstOrDefault(condition) is { } request)
            {
                return request;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"no OTLP request with {what}; received {string.Join(", ", Received.Select(r => r.Path))}");
            }

            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
