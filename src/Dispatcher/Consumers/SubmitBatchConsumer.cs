using Dispatcher.Contracts;
using Dispatcher.Ledger;
using MassTransit;

namespace Dispatcher.Consumers;

/// <summary>Records a batch's announced size, so its progress and completion can be told.</summary>
public sealed class SubmitBatchConsumer(SqliteLedger ledger) : IConsumer<SubmitBatch>
{
    /// <inheritdoc />
    public Task Consume(ConsumeContext<SubmitBatch> context)
    {
        var message = context.Message;
        if (string.IsNullOrWhiteSpace(message.BatchId) || message.TotalJobs < 0)
        {
            throw new InvalidSubmissionException("SubmitBatch: batchId is required and totalJobs must not be negative");
        }

        return ledger.UpsertBatchAsync(message.BatchId, message.TotalJobs, message.Source, message.SourceDigest, context.CancellationToken);
    }
}
