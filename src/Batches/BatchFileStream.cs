namespace Dispatcher.Batches;

/// <summary>
/// Opens a bulk-submit file the way both passes read it.
/// </summary>
internal static class BatchFileStream
{
    /// <summary>Opens <paramref name="path"/> for one sequential read.</summary>
    public static FileStream Open(string path) => new(
        path,
        FileMode.Open,
        FileAccess.Read,
        // Where the OS honours it, this keeps writers out while the file is read.
        FileShare.Read,
        // No FileStream buffer: JsonlLineSplitter reads large chunks into its own buffer, and a
        // second buffer would only copy every byte twice.
        bufferSize: 0,
        FileOptions.Asynchronous | FileOptions.SequentialScan);
}
