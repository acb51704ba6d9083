using System.Globalization;

namespace Dispatcher.BatchApi;

/// <summary>
/// An upload's expiry policy, as OpenAI's <c>POST /v1/files</c> takes it in the multipart form:
/// <c>expires_after[anchor]=created_at</c> and <c>expires_after[seconds]=N</c>, N from 3600 (an
/// hour) to 2592000 (30 days). Without either the file is kept until it is deleted.
/// </summary>
internal static class FileExpiresAfter
{
    public const string AnchorField = "expires_after[anchor]";
    public const string SecondsField = "expires_after[seconds]";

    /// <summary>The only anchor: the file's creation.</summary>
    public const string CreatedAt = "created_at";

    public const long MinSeconds = 3600;
    public const long MaxSeconds = 2_592_000;

    /// <summary>
    /// The time after its creation the file expires (null for never), or the problem with the
    /// fields (<paramref name="param"/> naming the field at fault).
    /// </summary>
    public static TimeSpan? Read(string? anchor, string? seconds, out string? problem, out string? param)
    {
        problem = null;
        param = null;
        if (anchor is null && seconds is null)
        {
            return null;
        }

        if (anchor != CreatedAt)
        {
            param = AnchorField;
            problem = $"'{AnchorField}' must be '{CreatedAt}', got '{anchor}'.";
            return null;
        }

        if (!long.TryParse(seconds, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n is < MinSeconds or > MaxSeconds)
        {
            param = SecondsField;
            problem = string.Create(CultureInfo.InvariantCulture, $"'{SecondsField}' must be a whole number of seconds from {MinSeconds} (1 hour) to {MaxSeconds} (30 days), got '{seconds}'.");
            return null;
        }

        return TimeSpan.FromSeconds(n);
    }
}
