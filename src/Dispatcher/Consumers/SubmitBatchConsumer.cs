using Dispatcher.Batches;
using Dispatcher.Contracts;
using Dispatcher.Ledger;
using MassTransit;

namespace Dispatcher.Consumers;

/// <summary>Records a batch's announced size, completion window and metadata, so its progress, completion and expiry can be told.</summary>
public sealed class SubmitBatchConsumer(JobLedger ledger) : IConsumer<SubmitBatch>
{
    /// <inheritdoc />
    public Task Consume(ConsumeContext<SubmitBatch> context)
    {
        var message = context.Message;
        if (string.IsNullOrWhiteSpace(message.BatchId) || message.TotalJobs < 0)
        {
            throw new InvalidSubmissionException("SubmitBatch: batchId is required and totalJobs must not be negative");
        }

        if (message.CompletionWindow is { } window && window <= TimeSpan.Zero)
        {
            throw new InvalidSubmissionException($"SubmitBatch: field completionWindow: must be longer than zero, got {window}");
        }

        if (BatchMetadata.Problem(message.Metadata, "field metadata") is { } problem)
        {
            throw new InvalidSubmissionException("SubmitBatch: " + problem);
        }

        return ledger.UpsertBatchAsync(
            message.BatchId,
            message.TotalJobs,
            message.Source,
            message.SourceDigest,
            message.CompletionWindow,
            message.Metadata is { Count: > 0 } metadata ? metadata : null,
            context.CancellationToken);
    }
}
