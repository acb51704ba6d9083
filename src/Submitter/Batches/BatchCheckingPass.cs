namespace Dispatcher.Submitter.Batches;

/// <summary>
/// The first validation pass over a bulk-submit file: checks each line, collects errors, and
/// remembers a 64-bit hash per custom_id, the only memory that grows with the file.
/// </summary>
internal sealed class BatchCheckingPass(BatchFileLimits limits, CustomIdHasher hasher)
{
    private readonly BatchLineParser _parser = new();
    private readonly HashSet<ulong> _hashes = [];
    private readonly List<BatchFileError> _errors = [];

    /// <summary>The first errors in line order; one more than MaxErrors when the file holds more.</summary>
    public IReadOnlyList<BatchFileError> Errors => _errors;

    /// <summary>Hashes seen more than once: real duplicates or collisions, told apart by <see cref="DuplicateConfirmingPass"/>.</summary>
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

        _parser.Parse(splitter.Line, splitter.LineNumber);
        _errors.AddRange(_parser.Errors);
        if (_parser.HasCustomId)
        {
            var hash = hasher(_parser.CustomId);
            if (!_hashes.Add(hash))
            {
                Suspects.Add(hash);
            }
        }
    }
}
