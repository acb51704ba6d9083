namespace Dispatcher.Batches;

/// <summary>
/// The first validation pass over a bulk-submit file: checks each line, collects errors, and
/// marks each custom_id's hash in a fixed-size filter, so memory does not grow with the file.
/// </summary>
/// <param name="limits">The file's limits.</param>
/// <param name="hasher">The custom_id hash.</param>
/// <param name="coverage">The catalog's endpoints per model group, when the catalog that runs the file is known.</param>
internal sealed class BatchCheckingPass(BatchFileLimits limits, CustomIdHasher hasher, EndpointCoverage? coverage = null)
{
    private readonly BatchLineParser _parser = new();
    private readonly SeenIds _seen = new();
    private readonly List<BatchFileError> _errors = [];

    /// <summary>The first errors in line order; one more than MaxErrors when the file holds more.</summary>
    public IReadOnlyList<BatchFileError> Errors => _errors;

    /// <summary>Hashes that may have been seen before: real duplicates, hash collisions or filter hits, told apart by <see cref="DuplicateConfirmingPass"/>.</summary>
    public HashSet<ulong> Suspects { get; } = [];

    /// <summary>The number of non-blank lines.</summary>
    public int Lines { get; private set; }

    /// <summary>The last line checked; past it lines were only counted.</summary>
    public int LastCheckedLine { get; private set; }

    /// <summary>Checks the splitter's current line.</summary>
    public void Accept(JsonlLineSplitter splitter)
    {
        if (splitter.IsBlank)
        {
            return;
        }

        Lines++;

        // One error past the limit proves the report is truncated, and later errors could not
        // show in it, so from here lines are only counted. Duplicates among the lines checked
        // are still all found: a duplicate's first occurrence always comes before it.
        if (_errors.Count > limits.MaxErrors)
        {
            return;
        }

        LastCheckedLine = splitter.LineNumber;
        if (splitter.OversizedLength > 0)
        {
            _errors.Add(BatchFileError.LineTooLong(splitter.LineNumber, limits.MaxLineBytes, splitter.OversizedLength));
            return;
        }

        if (_parser.Parse(splitter.Line, splitter.LineNumber)
            && coverage?.Problem(_parser.Model, _parser.Url) is { } unserved)
        {
            _errors.Add(new BatchFileError(splitter.LineNumber, "url", unserved));
        }

        _errors.AddRange(_parser.Errors);
        if (_parser.HasCustomId)
        {
            var hash = hasher(_parser.CustomId);
            if (_seen.CheckAndAdd(hash))
            {
                Suspects.Add(hash);
            }
        }
    }
}
