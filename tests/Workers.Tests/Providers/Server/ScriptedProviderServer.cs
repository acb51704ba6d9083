using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Dispatcher.Workers.Tests.Providers.Server;

/// <summary>
/// A real HTTP server (Kestrel) on 127.0.0.1 and an ephemeral port that answers every request as
/// the test scripted it and records what it received.
/// </summary>
internal sealed class ScriptedProviderServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedRequest> _received = new();
    private Func<ReceivedRequest, ScriptedAnswer> _script = _ => ScriptedAnswer.Json(500, """{"error":{"message":"no answer scripted"}}""");

    private ScriptedProviderServer(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    /// <summary>The server's root, e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri Address { get; }

    public IReadOnlyList<ReceivedRequest> Received => [.. _received];

    public static async Task<ScriptedProviderServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        ScriptedProviderServer? server = null;
        app.Run(context => server!.HandleAsync(context));
        await app.StartAsync();
        server = new ScriptedProviderServer(app, new Uri(app.Urls.Single().TrimEnd('/') + "/"));
        return server;
    }

    /// <summary>Answers every request with <paramref name="answer"/>.</summary>
    public void Answer(ScriptedAnswer answer) => _script = _ => answer;

    /// <summary>Answers every request with what <paramref name="script"/> makes of it.</summary>
    public void Answer(Func<ReceivedRequest, ScriptedAnswer> script) => _script = script;

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        var request = new ReceivedRequest(
            context.Request.Method,
            context.Request.Path.Value ?? "",
            context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
            body);
        _received.Enqueue(request);

        var answer = _script(request);
        if (answer.Delay > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(answer.Delay, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                // The client gave up, which is what a timeout test wants.
                return;
            }
        }

        context.Response.StatusCode = answer.Status;
        context.Response.ContentType = answer.ContentType;
        foreach (var (name, value) in answer.Headers ?? new Dictionary<string, string>())
        {
            context.Response.Headers[name] = value;
        }

        await context.Response.WriteAsync(answer.Body, context.RequestAborted);
    }
}
