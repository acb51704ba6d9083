using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Dispatcher.Bench.WorkerSdk;

/// <summary>
/// An OpenAI-compatible server that answers every request at once with one fixed chat completion
/// (Kestrel on 127.0.0.1, an ephemeral port): the provider side of <c>worker-sdk</c>, run as a
/// process of its own (<c>openai-stub</c>) so its CPU is measured apart from the client's.
/// </summary>
internal static class OpenAiStub
{
    /// <summary>The answer to every request: a chat completion with usage, as OpenAI sends one.</summary>
    public const string Answer =
        """{"id":"chatcmpl-bench","object":"chat.completion","created":1767225600,"model":"bench-model","choices":[{"index":0,"message":{"role":"assistant","content":"A short answer.","refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":24,"completion_tokens":4,"total_tokens":28},"system_fingerprint":"fp_bench"}""";

    private static readonly byte[] AnswerBytes = System.Text.Encoding.UTF8.GetBytes(Answer);

    /// <summary>Serves until <paramref name="ct"/> is cancelled (the bench ends the process); prints "Now listening on: URL" once it listens.</summary>
    public static async Task RunAsync(TextWriter output, CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var app = builder.Build();
        app.Run(async context =>
        {
            // Read the request as a server must, then answer.
            await context.Request.Body.CopyToAsync(Stream.Null, context.RequestAborted);
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "application/json";
            context.Response.ContentLength = AnswerBytes.Length;
            await context.Response.Body.WriteAsync(AnswerBytes, context.RequestAborted);
        });
        await app.StartAsync(ct);
        // The line ChildProgram.ListeningUrlAsync waits for (the host's own is not logged here).
        await output.WriteLineAsync("Now listening on: " + app.Urls.Single());
        await output.FlushAsync(ct);
        try
        {
            await Task.Delay(Timeout.Infinite, ct);
        }
        catch (OperationCanceledException)
        {
            // Asked to stop.
        }

        await app.StopAsync(CancellationToken.None);
    }
}
