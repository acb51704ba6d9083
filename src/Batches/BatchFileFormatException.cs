namespace Dispatcher.Batches;

/// <summary>
/// Thrown by <see cref="BatchFileReader"/> when it meets a line that validation would have
/// rejected, most likely because the file changed after it was validated. Publishing stops
/// there rather than skipping the line, so no request is silently lost.
/// </summary>
internal sealed class BatchFileFormatException : Exception
{
    /// <summary>Creates the exception for <paramref name="error"/> in the file at <paramref name="path"/>.</summary>
    public BatchFileFormatException(string path, BatchFileError error)
        : base($"{path}: {error}. Did the file change after it was validated? Validate it again.")
    {
        Path = path;
        Error = error;
    }

    /// <summary>The file being read.</summary>
    public string Path { get; }

    /// <summary>The line, field and problem.</summary>
    public BatchFileError Error { get; }
}
