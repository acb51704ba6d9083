using System.Text.Json;
using Dispatcher.Ledger;

namespace Dispatcher.ResultFiles;

/// <summary>
/// One line in the OpenAI Batch output format:
/// <c>{"id", "custom_id", "response": {"status_code", "request_id", "body"}, "error"}</c>.
/// </summary>
internal static class BatchOutputLine
{
    /// <summary>Writes the line for an ended job (without the newline).</summary>
    public static void Write(Utf8JsonWriter w, JobRow job)
    {
        w.WriteStartObject();
        w.WriteString("id", "batch_req_" + job.JobId.Replace("-", "", StringComparison.Ordinal));
        w.WriteString("custom_id", job.CustomId);
        if (job.State == JobState.Succeeded)
        {
            w.WriteStartObject("response");
            w.WriteNumber("status_code", job.StatusCode ?? 200);
            w.WriteString("request_id", job.RequestId);
            w.WritePropertyName("body");
            using (var body = JsonDocument.Parse(job.Response ?? "{}"))
            {
                body.RootElement.WriteTo(w);
            }

            w.WriteEndObject();
            w.WriteNull("error");
        }
        else
        {
            if (job.StatusCode is { } status)
            {
                w.WriteStartObject("response");
                w.WriteNumber("status_code", status);
                w.WriteString("request_id", job.RequestId);
                w.WriteStartObject("body");
                w.WriteStartObject("error");
                w.WriteString("message", job.ErrorMessage);
                w.WriteString("type", job.ErrorKind);
                w.WriteEndObject();
                w.WriteEndObject();
                w.WriteEndObject();
            }
            else
            {
                w.WriteNull("response");
            }

            w.WriteStartObject("error");
            w.WriteString("code", ErrorCode(job.ErrorKind));
            w.WriteString("message", job.ErrorMessage);
            w.WriteEndObject();
        }

        w.WriteEndObject();
    }

    // snake_case codes in the style of OpenAI's batch error objects.
    private static string ErrorCode(string? kind) =>
        string.IsNullOrEmpty(kind)
            ? "unknown_error"
            : string.Concat(kind.Select((c, i) => char.IsUpper(c) && i > 0 ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
}
