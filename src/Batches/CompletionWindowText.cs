using System.Globalization;

namespace Dispatcher.Batches;

/// <summary>
/// A completion window as text, as the Batch API's <c>completion_window</c> (<c>24h</c>): a number
/// with <c>s</c>, <c>m</c>, <c>h</c> or <c>d</c>, or a time span (hh:mm:ss). The CLI's
/// <c>--completion-window</c> and the dispatcher's <c>POST /v1/batches</c> read it alike.
/// </summary>
internal static class CompletionWindowText
{
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
}
