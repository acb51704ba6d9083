using System.CommandLine;
using System.CommandLine.Parsing;
using Dispatcher.Batches;

namespace Dispatcher.Submitter.Cli;

/// <summary>
/// <c>--completion-window</c>, as the Batch API's <c>completion_window</c> (<c>24h</c>): how long the
/// batch may take. A number with <c>s</c>, <c>m</c>, <c>h</c> or <c>d</c>, or a time span (hh:mm:ss).
/// </summary>
internal static class CompletionWindowOption
{
    public static Option<TimeSpan?> Create() => new("--completion-window")
    {
        Description = "How long the batch may take (e.g. 24h, 90m, 30s, 2d, or hh:mm:ss), counted from when the dispatcher records it. " +
            "Then no new attempt starts, unfinished jobs end batch_expired, what finished is kept, and the batch ends expired. Default: no limit.",
        CustomParser = Parse,
    };

    /// <summary>The window <paramref name="text"/> names, or null when it names none.</summary>
    public static TimeSpan? TryParse(string text) => CompletionWindowText.TryParse(text);

    private static TimeSpan? Parse(ArgumentResult result)
    {
        var text = result.Tokens.Count == 0 ? "" : result.Tokens[0].Value;
        if (TryParse(text) is { } window)
        {
            return window;
        }

        result.AddError($"--completion-window must be a positive duration such as 24h, 90m, 30s, 2d or hh:mm:ss, got '{text}'");
        return null;
    }
}
