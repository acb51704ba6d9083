namespace Dispatcher.Batches;

/// <summary>
/// One problem found in a bulk-submit file.
/// </summary>
/// <param name="Line">The 1-based line number, counting blank lines; 0 for a problem with the file as a whole.</param>
/// <param name="Field">The field at fault (<c>custom_id</c>, <c>body.model</c>, <c>json</c>…), or <c>file</c>.</param>
/// <param name="Message">What is wrong, in words a user can act on.</param>
internal sealed record BatchFileError(int Line, string Field, string Message)
{
    /// <summary>The field name of errors about the file as a whole.</summary>
    public const string FileField = "file";

    /// <summary>An error about the file as a whole rather than one of its lines.</summary>
    public static BatchFileError File(string message) => new(0, FileField, message);

    /// <summary>The error for a line longer than the limit, whose bytes were skipped rather than read.</summary>
    public static BatchFileError LineTooLong(int line, int maxLineBytes, long length) =>
        new(line, "line", $"line exceeds the limit of {maxLineBytes} bytes (it has {length})");

    /// <summary>For example <c>line 12, field custom_id: duplicate of line 3</c>, or the bare message for a file error.</summary>
    public override string ToString() =>
        Line == 0 ? Message : $"line {Line}, field {Field}: {Message}";
}
