namespace Dispatcher.Batches;

/// <summary>
/// The outcome of validating a bulk-submit file.
/// </summary>
/// <param name="Lines">
/// The number of non-blank lines, that is the number of jobs a valid file holds. Counted over
/// the whole file even after the error list is full.
/// </param>
/// <param name="Errors">The first errors in line order, at most <see cref="BatchFileLimits.MaxErrors"/>.</param>
/// <param name="ErrorsTruncated">True when the file holds more errors than <paramref name="Errors"/> lists.</param>
internal sealed record BatchValidationResult(int Lines, IReadOnlyList<BatchFileError> Errors, bool ErrorsTruncated = false)
{
    /// <summary>Whether the file may be published.</summary>
    public bool IsValid => Errors.Count == 0;
}
