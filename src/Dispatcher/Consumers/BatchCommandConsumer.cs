using Dispatcher.Contracts;
using Dispatcher.Lifecycle;
using MassTransit;

namespace Dispatcher.Consumers;

/// <summary>
/// Takes the commands on a batch as a whole, one at a time and in order (a pause and the resume
/// after it are never swapped): cancel, pause, resume, and the expiry the dispatcher sends itself
/// when a batch's completion window passes. <see cref="BatchLifecycle"/> performs each.
/// </summary>
internal sealed class BatchCommandConsumer(BatchLifecycle lifecycle) :
    IConsumer<CancelBatch>, IConsumer<PauseBatch>, IConsumer<ResumeBatch>, IConsumer<ExpireBatch>
{
    /// <inheritdoc />
    public Task Consume(ConsumeContext<CancelBatch> context) =>
        lifecycle.EndAsync(Required(context.Message.BatchId, nameof(CancelBatch)), BatchHold.Cancelled, context.Message.Reason, context, context.CancellationToken);

    /// <inheritdoc />
    public Task Consume(ConsumeContext<PauseBatch> context) =>
        lifecycle.PauseAsync(Required(context.Message.BatchId, nameof(PauseBatch)), context.CancellationToken);

    /// <inheritdoc />
    public Task Consume(ConsumeContext<ResumeBatch> context) =>
        lifecycle.ResumeAsync(Required(context.Message.BatchId, nameof(ResumeBatch)), context.CancellationToken);

    /// <inheritdoc />
    public Task Consume(ConsumeContext<ExpireBatch> context) =>
        lifecycle.EndAsync(Required(context.Message.BatchId, nameof(ExpireBatch)), BatchHold.Expired, null, context, context.CancellationToken);

    private static string Required(string? batchId, string command) =>
        string.IsNullOrWhiteSpace(batchId) ? throw new InvalidSubmissionException($"{command}: field batchId: required, a non-empty string") : batchId;
}
