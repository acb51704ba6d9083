using Dispatcher.Contracts;

namespace Dispatcher.Batches;

/// <summary>
/// Paces a <see cref="BatchPublisher"/> by what the dispatcher has not finished yet, so a batch
/// is published in step with its progress instead of all at once: the jobs waiting in the
/// transport's queues then stay within a bound whatever the file's size.
/// </summary>
internal interface IPublishWindow
{
    /// <summary>The most jobs published and not yet ended at once; no chunk holds more.</summary>
    int Size { get; }

    /// <summary>
    /// Waits until the jobs of <paramref name="chunk"/> that still need publishing fit in the
    /// window and returns them, counted as published from then on. Jobs the dispatcher already
    /// holds (a resumed batch's) are left out, so the result may be shorter, or empty.
    /// </summary>
    Task<List<SubmitCompletion>> AdmitAsync(List<SubmitCompletion> chunk, CancellationToken ct);
}
