namespace Dispatcher.Submitter.Batches;

/// <summary>
/// Bounds for reading a bulk-submit JSONL file. They keep a malformed or hostile file from
/// costing more memory than one line buffer, or from flooding the user with errors.
/// </summary>
internal sealed record BatchFileLimits
{
    /// <summary>The default longest line: 1 MiB, room for a long prompt with a small image.</summary>
    public const int DefaultMaxLineBytes = 1024 * 1024;

    /// <summary>The default number of errors a validation reports.</summary>
    public const int DefaultMaxErrors = 20;

    /// <summary>
    /// The largest <see cref="MaxLineBytes"/> accepted. The line buffer is allocated at this size,
    /// so the cap keeps a typo in a command-line flag from allocating gigabytes.
    /// </summary>
    public const int MaxSupportedLineBytes = 64 * 1024 * 1024;

    /// <summary>The limits used when the user sets none.</summary>
    public static BatchFileLimits Default { get; } = new();

    /// <summary>The longest line accepted, in bytes of UTF-8, not counting the line terminator.</summary>
    public int MaxLineBytes
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, MaxSupportedLineBytes);
            field = value;
        }
    } = DefaultMaxLineBytes;

    /// <summary>How many errors a validation reports before it only counts lines.</summary>
    public int MaxErrors
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            field = value;
        }
    } = DefaultMaxErrors;
}
