namespace Dispatcher.Submitter.Tests.Batches;

/// <summary>
/// Records progress reports as they happen. Progress&lt;T&gt; would post them to the thread pool,
/// so a test could look before they arrive.
/// </summary>
internal sealed class RecordingProgress : IProgress<long>
{
    private readonly List<long> _reports = [];

    public IReadOnlyList<long> Reports
    {
        get
        {
            lock (_reports)
            {
                return [.. _reports];
            }
        }
    }

    public void Report(long value)
    {
        lock (_reports)
        {
            _reports.Add(value);
        }
    }
}
