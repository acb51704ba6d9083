namespace Dispatcher.Batches;

/// <summary>
/// Bounds for reading a bulk-submit JSONL file. They keep a malformed or hostile file from
/// costing more memory than one line buffer, or from flooding the user with errors.
/// </summary>
internal sealed record BatchFileLimits
{
    /// <summary>
    /// The default longest line: 32 MiB, room for a request carrying base64 images (an image of
    /// 20 MB, the largest OpenAI takes by URL, is about 27 MiB as base64).
    /// </summary>
    public const int DefaultMaxLineBytes = 32 * 1024 * 1024;

    /// <summary>The configuration key that sets <see cref="MaxLineBytes"/>.</summary>
    public const string MaxLineBytesKey = "Batches:MaxLineBytes";

    /// <summary>The default number of errors a validation reports.</summary>
    public const int DefaultMaxErrors = 20;

    /// <summary>
    /// The largest <see cref="MaxLineBytes"/> accepted. The line buffer is allocated at this size,
    /// so the cap keeps a typo in a command-line flag from allocating gigabytes.
    /// </summary>
    public const int MaxSupportedLineBytes = 64 * 1024 * 1024;

    /// <summary>The limits used when the user sets none.</summary>
    public static BatchFileLimits Default { get; } = new();

    /// <summary>
    /// The limits <paramref name="configuration"/> sets (<see cref="MaxLineBytesKey"/>), else the
    /// defaults; a value out of range is an error naming the key and the range.
    /// </summary>
    /// <exception cref="ArgumentException">The configured value is not a whole number in range.</exception>
    public static BatchFileLimits From(Microsoft.Extensions.Configuration.IConfiguration configuration)
    {
        var text = configuration[MaxLineBytesKey];
        if (string.IsNullOrWhiteSpace(text))
        {
            return Default;
        }

        return int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var bytes) && bytes is > 0 and <= MaxSupportedLineBytes
            ? new BatchFileLimits { MaxLineBytes = bytes }
            : throw new ArgumentException($"configuration key {MaxLineBytesKey}: must be a whole number of bytes from 1 to {MaxSupportedLineBytes}, got \"{text}\"");
    }

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
