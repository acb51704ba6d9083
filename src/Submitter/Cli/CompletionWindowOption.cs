using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

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
    public static TimeSpan? TryParse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        text = text.Trim();
        if (text.Length > 1 && double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n > 0 && double.IsFinite(n))
        {
            var unit = char.ToLowerInvariant(text[^1]) switch
            {
                's' => TimeSpan.FromSeconds(1),
                'm' => TimeSpan.FromMinutes(1),
                'h' => TimeSpan.FromHours(1),
                'd' => TimeSpan.FromDays(1),
                _ => (TimeSpan?)null,
            };
            if (unit is { } u && n * u.TotalSeconds < TimeSpan.MaxValue.TotalSeconds / 2)
            {
                return TimeSpan.FromSeconds(n * u.TotalSeconds);
            }
        }

        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span) && span > TimeSpan.Zero ? span : null;
    }

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
