namespace Dispatcher.BatchApi;

/// <summary>
/// A batch's record once its results are written (<see cref="StoredBatch.FinalizedAt"/> set), with the
/// files they were written to: each file's record and the local path of its bytes.
/// </summary>
internal sealed record FinalizedBatch(StoredBatch Batch, IReadOnlyList<(FileObject File, string ContentPath)> Files);
