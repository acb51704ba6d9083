using System.Text;
using System.Text.Json.Nodes;
using Dapper;
using Dispatcher.Contracts;
using Microsoft.Data.Sqlite;
using RabbitMQ.Client;

namespace Dispatcher.Testing;

/// <summary>
/// Publishes a chunk of a batch file to the intake again, as plain JSON over AMQP, the way a
/// producer that is not sure its first publish went through does: with the same batch id and
/// custom ids, and either the job ids the ledger recorded for them (the same messages again) or
/// fresh ones (the same lines submitted anew). Only lines the ledger already holds are
/// republished, so the chunk is one already submitted. Shared by the chaos bench and its short
/// version in the tests.
/// </summary>
internal sealed class ChunkRepublisher(ConnectionFactory connections, string ledgerPath, string batchId, IReadOnlyList<string> lines)
{
    /// <summary>Republishes lines <paramref name="first"/>… (1-based, up to <paramref name="count"/>) of the file; returns how many went out.</summary>
    public async Task<int> RepublishAsync(int first, int count, bool sameJobIds, CancellationToken ct)
    {
        var chunk = lines.Skip(first - 1).Take(count).Select(l => JsonNode.Parse(l)!).ToList();
        var customIds = chunk.Select(l => l["custom_id"]!.GetValue<string>()).ToList();
        Dictionary<string, string> recorded;
        await using (var ledger = new SqliteConnection($"Data Source={ledgerPath};Mode=ReadOnly"))
        {
            recorded = (await ledger.QueryAsync<(string CustomId, string JobId)>(new CommandDefinition(
                    "SELECT custom_id, job_id FROM jobs WHERE batch_id = @batchId AND custom_id IN @customIds",
                    new { batchId, customIds },
                    cancellationToken: ct)))
                .ToDictionary(r => r.CustomId, r => r.JobId, StringComparer.Ordinal);
        }

        var jobs = new JsonArray();
        foreach (var line in chunk)
        {
            var customId = line["custom_id"]!.GetValue<string>();
            if (!recorded.TryGetValue(customId, out var jobId))
            {
                continue;
            }

            var body = line["body"]!.DeepClone();
            jobs.Add(new JsonObject
            {
                ["jobId"] = sameJobIds ? jobId : Guid.NewGuid().ToString(),
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
        await using var connection = await connections.CreateConnectionAsync("chunk republisher", ct);
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
