using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Dispatcher.BatchApi;

/// <summary>
/// Why a batch is cancelled through <c>POST /v1/batches/{id}/cancel</c>, this dispatcher's extension
/// (OpenAI's call takes no body): the query parameter <c>?reason=TEXT</c>, or a JSON body
/// <c>{"reason": "TEXT"}</c>. Neither is needed; without one the cancel says it came through the API.
/// The reason is kept with the batch (status shows it) and added to each cancelled job's error message.
/// </summary>
internal static class CancelReason
{
    /// <summary>The longest reason taken, in characters: it is repeated in every cancelled job's message.</summary>
    public const int MaxLength = 1000;

    // A body larger than this is no reason: refused rather than read into memory.
    private const int MaxBodyBytes = 16 * 1024;

    /// <summary>The reason the request gives (null for none), or why it cannot be read.</summary>
    public static async Task<(string? Reason, string? Problem)> ReadAsync(HttpRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var reason = request.Query["reason"].ToString();
        if (reason.Length == 0 && request.ContentLength is not 0)
        {
            using var body = new MemoryStream();
            var buffer = new byte[4096];
            int read;
            while ((read = await request.Body.ReadAsync(buffer, ct)) > 0)
            {
                if (body.Length + read > MaxBodyBytes)
                {
                    return (null, $"The body is larger than {MaxBodyBytes} bytes; send {{\"reason\": \"TEXT\"}}.");
                }

                body.Write(buffer, 0, read);
            }

            if (body.Length > 0)
            {
                try
                {
                    using var document = JsonDocument.Parse(body.ToArray());
                    if (document.RootElement.ValueKind != JsonValueKind.Object)
                    {
                        return (null, "The body must be a JSON object such as {\"reason\": \"TEXT\"}.");
                    }

                    if (document.RootElement.TryGetProperty("reason", out var given))
                    {
                        if (given.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
                        {
                            return (null, "'reason' must be a string.");
                        }

                        reason = given.GetString() ?? "";
                    }
                }
                catch (JsonException e)
                {
                    return (null, "The body is not valid JSON: " + e.Message);
                }
            }
        }

        reason = reason.Trim();
        if (reason.Length > MaxLength)
        {
            return (null, $"'reason' is {reason.Length} characters, at most {MaxLength} are allowed.");
        }

        return (reason.Length == 0 ? null : reason, null);
    }
}
