using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dispatcher.Contracts;
using Dispatcher.ServiceDefaults.Messaging;
using Dispatcher.Submitter.Hosting;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace Dispatcher.Submitter.Cli;

/// <summary><c>publish</c>: sends one job, from a prompt or a full request body, and prints its ids.</summary>
internal static class PublishCommand
{
    public static Command Create()
    {
        var config = CommonOptions.Config();
        var model = new Option<string?>("--model") { Description = "The model group (the body's model). Required with --prompt." };
        var prompt = new Option<string?>("--prompt") { Description = "A user message; the body is built from it." };
        var body = new Option<string?>("--body") { Description = "A chat completions request body as JSON, or @FILE to read it from a file." };
        var maxTokens = new Option<int?>("--max-tokens") { Description = "max_tokens for a body built from --prompt." };
        var customId = new Option<string?>("--custom-id") { Description = "Your id for the job (default: a new one)." };
        var batchId = new Option<string?>("--batch-id") { Description = "Attach the job to this batch." };
        var tenant = new Option<string?>("--tenant") { Description = "The tenant the job is billed to." };
        var priority = new Option<int>("--priority") { Description = "Higher runs first when capacity is scarce." };
        var sessionKey = new Option<string?>("--session-key") { Description = "Jobs with the same key prefer the same deployment." };
        var deadline = new Option<DateTimeOffset?>("--deadline") { Description = "Fail the job instead of starting it after this instant (ISO 8601)." };
        var command = new Command("publish", "Publish one completion job to the dispatcher's intake queue.")
        {
            config, model, prompt, body, maxTokens, customId, batchId, tenant, priority, sessionKey, deadline,
        };
        command.SetAction(async (parse, ct) =>
        {
            var configFile = parse.GetValue(config);
            var configuration = SubmitterHosts.LoadConfiguration(configFile);
            if (!BrokerRequirement.Check(configuration, "publish"))
            {
                return ExitCodes.InvalidInput;
            }

            JsonObject request;
            try
            {
                request = BuildBody(parse.GetValue(model), parse.GetValue(prompt), parse.GetValue(body), parse.GetValue(maxTokens));
            }
            catch (Exception e) when (e is ArgumentException or JsonException or IOException)
            {
                await Console.Error.WriteLineAsync("error: " + e.Message);
                return ExitCodes.InvalidInput;
            }

            if (await IntakeCheck.ProblemAsync(configuration, ct) is { } problem)
            {
                await Console.Error.WriteLineAsync("error: " + problem);
                return ExitCodes.Failed;
            }

            var group = request["model"]!.GetValue<string>();
            var job = new SubmitCompletion(
                parse.GetValue(customId) ?? "job-" + NewId.NextGuid().ToString("N")[..12],
                group,
                JsonSerializer.SerializeToElement(request),
                parse.GetValue(batchId),
                NewId.NextGuid(),
                parse.GetValue(tenant),
                parse.GetValue(priority),
                parse.GetValue(sessionKey),
                parse.GetValue(deadline));

            using var host = SubmitterHosts.Producer(configFile);
            await host.StartAsync(ct);
            try
            {
                var bus = host.Services.GetRequiredService<IBus>();
                var intake = await bus.GetSendEndpoint(IntakePriority.IntakeAddress);
                await intake.Send(job, context => IntakePriority.Apply(context, job.Priority), ct);
            }
            finally
            {
                await host.StopAsync(CancellationToken.None);
            }

            Console.WriteLine(JsonSerializer.Serialize(new { job_id = job.JobId, custom_id = job.CustomId, model_group = group }));
            return ExitCodes.Ok;
        });
        return command;
    }

    internal static JsonObject BuildBody(string? model, string? prompt, string? body, int? maxTokens)
    {
        if ((prompt is null) == (body is null))
        {
            throw new ArgumentException("give exactly one of --prompt or --body");
        }

        JsonObject request;
        if (body is not null)
        {
            var text = body.StartsWith('@') ? File.ReadAllText(body[1..]) : body;
            request = JsonNode.Parse(text) as JsonObject ?? throw new ArgumentException("--body: must be a JSON object");
        }
        else
        {
            request = new JsonObject
            {
                ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = prompt }),
            };
            if (maxTokens is { } n)
            {
                request["max_tokens"] = n > 0 ? n : throw new ArgumentException("--max-tokens: must be positive");
            }
        }

        if (model is not null)
        {
            request["model"] = model;
        }

        if (request["model"] is not JsonValue value || !value.TryGetValue<string>(out var m) || string.IsNullOrWhiteSpace(m))
        {
            throw new ArgumentException("--model: required (or a \"model\" string in --body)");
        }

        if (request["messages"] is not JsonArray { Count: > 0 })
        {
            throw new ArgumentException("--body: field messages must be a non-empty array");
        }

        return request;
    }
}
