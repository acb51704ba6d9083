using System.Globalization;

namespace Dispatcher.Workers.Providers.Http;

/// <summary>
/// Parses the durations OpenAI writes in <c>x-ratelimit-reset-*</c>: Go's <c>time.Duration</c>
/// text, such as <c>1s</c>, <c>6m0s</c>, <c>250ms</c> or <c>1h2m3.5s</c>.
/// </summary>
internal static class OpenAiDuration
{
    /// <summary>
    /// Parses <paramref name="text"/>; false unless the whole text is one or more number-unit parts.
    /// A duration too long for <see cref="TimeSpan"/> is read as <see cref="TimeSpan.MaxValue"/>.
    /// </summary>
    public static bool TryParse(string text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        var span = text.AsSpan().Trim();
        if (span.IsEmpty)
        {
            return false;
        }

        var ticks = 0.0;
        while (!span.IsEmpty)
        {
            var numberLength = 0;
            while (numberLength < span.Length && (char.IsAsciiDigit(span[numberLength]) || span[numberLength] == '.'))
            {
                numberLength++;
            }

            var unitLength = 0;
            while (numberLength + unitLength < span.Length && !char.IsAsciiDigit(span[numberLength + unitLength]) && span[numberLength + unitLength] != '.')
            {
                unitLength++;
            }

            if (numberLength == 0 || unitLength == 0
                || !double.TryParse(span[..numberLength], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            {
                return false;
            }

            var ticksPerUnit = span.Slice(numberLength, unitLength) switch
            {
                "h" => TimeSpan.TicksPerHour,
                "m" => TimeSpan.TicksPerMinute,
                "s" => TimeSpan.TicksPerSecond,
                "ms" => TimeSpan.TicksPerMillisecond,
                "us" or "µs" => TimeSpan.TicksPerMicrosecond,
                "ns" => 0.01,
                _ => -1.0,
            };
            if (ticksPerUnit < 0)
            {
                return false;
            }

            ticks += number * ticksPerUnit;
            span = span[(numberLength + unitLength)..];
        }

        // A duration beyond TimeSpan's range is still a duration, only an absurd one: it saturates,
        // and the caller decides how long a wait it believes.
        duration = ticks >= TimeSpan.MaxValue.Ticks ? TimeSpan.MaxValue : TimeSpan.FromTicks((long)Math.Round(ticks));
        return true;
    }
}
