namespace Dispatcher.Batches;

/// <summary>
/// Validates a bulk-submit file in the OpenAI Batch input format before anything is published,
/// so a bad line 900,000 cannot leave a batch half submitted.
/// </summary>
/// <remarks>
/// One streaming pass checks every line and remembers only a 64-bit hash per custom_id. Only
/// when a hash repeats does a second pass read the file again, keeping the actual ids of the
/// suspect hashes alone: that confirms real duplicates, finds the line each one repeats, and
/// keeps a hash collision from ever rejecting a valid file.
/// </remarks>
internal static class BatchFileValidator
{
    /// <summary>Validates the file at <paramref name="path"/>.</summary>
    public static Task<BatchValidationResult> ValidateAsync(string path, BatchFileLimits limits, CancellationToken ct) =>
        ValidateAsync(path, limits, progress: null, Fnv1a64.Hash, ct);

    /// <summary>
    /// Validates the file at <paramref name="path"/>, reporting the bytes read so far to
    /// <paramref name="progress"/> so a progress bar can follow the file position.
    /// </summary>
    public static Task<BatchValidationResult> ValidateAsync(
        string path, BatchFileLimits limits, IProgress<long>? progress, CancellationToken ct) =>
        ValidateAsync(path, limits, progress, Fnv1a64.Hash, ct);

    /// <summary>
    /// Validates the file at <paramref name="path"/> against the catalog that will run it as well:
    /// a line whose model group has no deployment serving its url is rejected (see <see cref="EndpointCoverage"/>).
    /// </summary>
    public static Task<BatchValidationResult> ValidateAsync(
        string path, BatchFileLimits limits, EndpointCoverage? coverage, CancellationToken ct) =>
        ValidateAsync(path, limits, progress: null, Fnv1a64.Hash, ct, coverage);

    /// <summary>Validates with the given custom_id hash; tests pass a weak one to force collisions.</summary>
    internal static async Task<BatchValidationResult> ValidateAsync(
        string path, BatchFileLimits limits, IProgress<long>? progress, CustomIdHasher hasher, CancellationToken ct, EndpointCoverage? coverage = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(limits);
        ArgumentNullException.ThrowIfNull(hasher);

        if (Directory.Exists(path))
        {
            return FileError($"not a file but a directory: {path}");
        }

        if (!File.Exists(path))
        {
            return FileError($"file not found: {path}");
        }

        try
        {
            // Taken before the first pass and compared after the second, so a file rewritten
            // between the passes is reported instead of half checked.
            var before = Snapshot(path);
            var checking = new BatchCheckingPass(limits, hasher, coverage);
            await using (var stream = BatchFileStream.Open(path))
            {
                using var splitter = new JsonlLineSplitter(stream, limits.MaxLineBytes, progress);
                while (await splitter.MoveNextAsync(ct).ConfigureAwait(false))
                {
                    checking.Accept(splitter);
                }
            }

            if (checking.Lines == 0)
            {
                return FileError($"file holds no requests (it is empty or has only blank lines): {path}");
            }

            IReadOnlyList<BatchFileError> duplicates = [];
            if (checking.Suspects.Count > 0)
            {
                var confirming = new DuplicateConfirmingPass(checking.Suspects, checking.LastCheckedLine, limits.MaxErrors, hasher);
                await using (var stream = BatchFileStream.Open(path))
                {
                    using var splitter = new JsonlLineSplitter(stream, limits.MaxLineBytes);
                    while (confirming.Wants(splitter.LineNumber) && await splitter.MoveNextAsync(ct).ConfigureAwait(false))
                    {
                        confirming.Accept(splitter);
                    }
                }

                if (Snapshot(path) != before)
                {
                    return FileError($"file changed while it was being validated; validate it again: {path}");
                }

                duplicates = confirming.Errors;
            }

            return Merge(checking, duplicates, limits.MaxErrors);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            // Deleted between the existence check and the open.
            return FileError($"file not found: {path}");
        }
        catch (UnauthorizedAccessException)
        {
            return FileError($"file cannot be read (permission denied): {path}");
        }
    }

    private static BatchValidationResult Merge(BatchCheckingPass checking, IReadOnlyList<BatchFileError> duplicates, int maxErrors)
    {
        // Each pass kept its first MaxErrors + 1 errors in line order, which is enough to know
        // the first MaxErrors of both together and whether there are more. OrderBy is stable,
        // so the errors of one line keep the order they were found in.
        var all = duplicates.Count == 0
            ? checking.Errors
            : [.. checking.Errors.Concat(duplicates).OrderBy(e => e.Line)];
        var truncated = all.Count > maxErrors;
        return new BatchValidationResult(checking.Lines, truncated ? [.. all.Take(maxErrors)] : all, truncated);
    }

    private static BatchValidationResult FileError(string message) => new(0, [BatchFileError.File(message)]);

    private static (long Length, DateTime LastWriteUtc) Snapshot(string path)
    {
        var info = new FileInfo(path);
        return (info.Length, info.LastWriteTimeUtc);
    }
}
