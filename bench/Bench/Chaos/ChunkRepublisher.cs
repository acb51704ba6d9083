using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dapper;
using Dispatcher.Bench.Faults;
using Dispatcher.Contracts;
using RabbitMQ.Client;

namespace Dispatcher.Bench.Chaos;

/// <summary>
/// Publishes a chunk of the batch file again, as a producer that is not sure its first publish
/// went through would: a plain-JSON <c>{"jobs": […]}</c> message on the intake with the same
/// batch id and custom ids, either with the job ids the ledger recorded for them (the same
/// messages again) or with fresh ones (the same lines submitted anew). Only lines the ledger
/// already holds are republished, so the chunk is one already submitted.
/// </summary>
internal sealed class ChunkRepublisher(FaultEnvironment env, string batchId, IReadOnlyList<string> lines)
{
    /// <summary>Republishes the lines of <c>request-(first)</c>… (up to <paramref name="count"/>); returns how many went out.</summary>
    public async Task<int> RepublishAsync(int first, int count, bool sameJobIds, CancellationToken ct)
    {
        var customIds = Enumerable.Range(first, Math.Min(count, lines.Count - first + 1)).Select(i => $"request-{i}").ToList();
        Dictionary<string, string> recorded;
        await using (var ledger = LedgerProgress.Open(env.LedgerPath))
        {
            recorded = (await ledger.QueryAsync<(string CustomId, string JobId)>(new CommandDefinition(
                    "SELECT custom_id, job_id FROM jobs WHERE batch_id = @batchId AND custom_id IN @customIds",
                    new { batchId, customIds },
                    cancellationToken: ct)))
                .ToDictionary(r => r.CustomId, r => r.JobId, StringComparer.Ordinal);
        }

        var jobs = new JsonArray();
        foreach (var customId in customIds.Where(recorded.ContainsKey))
        {
            var line = JsonNode.Parse(lines[int.Parse(customId["request-".Length..], System.Globalization.CultureInfo.InvariantCulture) - 1])!;
            var body = line["body"]!.DeepClone();
            jobs.Add(new JsonObject
            {
                ["jobId"] = sameJobIds ? recorded[customId] : Guid.NewGuid().ToString(),
                ["customId"] = customId,
                ["modelGroup"] = body["model"]!.GetValue<string>(),
                ["batchId"] = batchId,
                ["body"] = body,
            });
        }

        if (jobs.Count == 0)
        {
            return 0;
        }

        var message = Encoding.UTF8.GetBytes(new JsonObject { ["jobs"] = jobs }.ToJsonString());
        await using var connection = await env.ConnectionFactory().CreateConnectionAsync("chaos republisher", ct);
        await using var channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), ct);
        var properties = new BasicProperties
        {
            Persistent = true,
            ContentType = "application/json",
            MessageId = Guid.NewGuid().ToString(),
        };
        await channel.BasicPublishAsync("", QueueNames.Intake, mandatory: true, properties, message, ct);
        return jobs.Count;
    }
}
