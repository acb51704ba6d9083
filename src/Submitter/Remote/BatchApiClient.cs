using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Configuration;

namespace Dispatcher.Submitter.Remote;

/// <summary>
/// The dispatcher's Batch API (<c>/v1/files</c>, <c>/v1/batches</c>) as the CLI uses it from
/// another machine: upload, create, follow, control and download a batch with no access to the
/// ledger file or the broker. The key comes from the environment, as the dispatcher's does.
/// </summary>
internal sealed class BatchApiClient : IDisposable
{
    private readonly HttpClient _http;

    private BatchApiClient(Uri dispatcher, string key)
    {
        _http = new HttpClient { BaseAddress = dispatcher, Timeout = TimeSpan.FromMinutes(10) };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
    }

    /// <summary>The environment variable the key is read from: <c>BatchApi:KeyVariable</c>, else <c>DISPATCHER_API_KEY</c>.</summary>
    public static string KeyVariable(IConfiguration configuration) =>
        configuration["BatchApi:KeyVariable"] is { Length: > 0 } name ? name : "DISPATCHER_API_KEY";

    /// <summary>A client for the dispatcher at <paramref name="url"/>; null (with the reason) when the key or the url is missing.</summary>
    public static BatchApiClient? TryCreate(string url, IConfiguration configuration, out string problem)
    {
        var variable = KeyVariable(configuration);
        if (Environment.GetEnvironmentVariable(variable) is not { Length: > 0 } key)
        {
            problem = $"the dispatcher's Batch API needs its key: set the environment variable {variable}";
            return null;
        }

        if (!Uri.TryCreate(url.EndsWith('/') ? url : url + "/", UriKind.Absolute, out var address) || address.Scheme is not ("http" or "https"))
        {
            problem = $"--dispatcher must be an http(s) address, got '{url}'";
            return null;
        }

        problem = "";
        return new BatchApiClient(address, key);
    }

    /// <summary>Uploads a batch input file, streamed; returns its file id, or throws with the API's message.</summary>
    public async Task<string> UploadAsync(FileInfo file, CancellationToken ct)
    {
        await using var stream = file.OpenRead();
        using var form = new MultipartFormDataContent
        {
            { new StringContent("batch"), "purpose" },
            { new StreamContent(stream), "file", file.Name },
        };
        var body = await SendAsync(HttpMethod.Post, "v1/files", form, ct);
        return body.GetProperty("id").GetString()!;
    }

    /// <summary>
    /// Creates a batch of an uploaded file, with <paramref name="metadata"/> kept with it (none when null)
    /// and every job billed to <paramref name="tenant"/> (none when null) at <paramref name="priority"/>,
    /// the dispatcher's extension of the call (sent only when given, so the body is OpenAI's otherwise).
    /// </summary>
    public Task<JsonElement> CreateBatchAsync(
        string fileId, string endpoint, string completionWindow, IReadOnlyDictionary<string, string>? metadata, string? tenant, int priority, CancellationToken ct) =>
        SendAsync(
            HttpMethod.Post,
            "v1/batches",
            JsonContent(new { input_file_id = fileId, endpoint, completion_window = completionWindow, metadata, tenant, priority = priority == 0 ? (int?)null : priority }),
            ct);

    /// <summary>The batch, or null when the dispatcher knows none of that id.</summary>
    public async Task<JsonElement?> GetBatchAsync(string batchId, CancellationToken ct)
    {
        using var response = await _http.GetAsync("v1/batches/" + Uri.EscapeDataString(batchId), ct);
        return response.StatusCode == HttpStatusCode.NotFound ? null : await ReadAsync(response, ct);
    }

    /// <summary>
    /// <c>POST /v1/batches/{id}/{verb}</c> (cancel, pause, resume): the status code and the body.
    /// A <paramref name="reason"/> goes as the body <c>{"reason": …}</c>, which the dispatcher's cancel takes.
    /// </summary>
    public async Task<(HttpStatusCode Status, JsonElement Body)> ControlAsync(string batchId, string verb, string? reason, CancellationToken ct)
    {
        using var content = reason is null ? null : JsonContent(new { reason });
        using var response = await _http.PostAsync($"v1/batches/{Uri.EscapeDataString(batchId)}/{verb}", content, ct);
        using var document = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(ct), cancellationToken: ct);
        return (response.StatusCode, document.RootElement.Clone());
    }

    /// <summary>Downloads a file's content to <paramref name="path"/>, streamed; an absent id writes an empty file.</summary>
    public async Task<long> DownloadAsync(string? fileId, string path, CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        await using var target = File.Create(path);
        if (fileId is null)
        {
            return 0;
        }

        using var response = await _http.GetAsync($"v1/files/{Uri.EscapeDataString(fileId)}/content", HttpCompletionOption.ResponseHeadersRead, ct);
        if (!response.IsSuccessStatusCode)
        {
            await ReadAsync(response, ct); // throws with the API's message
        }

        await (await response.Content.ReadAsStreamAsync(ct)).CopyToAsync(target, ct);
        await target.FlushAsync(ct);
        target.Position = 0;
        long lines = 0;
        using var reader = new StreamReader(target, leaveOpen: true);
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            lines += line.Length > 0 ? 1 : 0;
        }

        return lines;
    }

    /// <summary>An error's message from the API's error shape.</summary>
    public static string Message(JsonElement body) =>
        body.TryGetProperty("error", out var error) && error.TryGetProperty("message", out var message) ? message.GetString() ?? "" : body.GetRawText();

    public void Dispose() => _http.Dispose();

    private static StringContent JsonContent<T>(T value) => new(JsonSerializer.Serialize(value), System.Text.Encoding.UTF8, "application/json");

    private async Task<JsonElement> SendAsync(HttpMethod method, string path, HttpContent content, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        using var response = await _http.SendAsync(request, ct);
        return await ReadAsync(response, ct);
    }

    private static async Task<JsonElement> ReadAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var text = await response.Content.ReadAsStringAsync(ct);
        JsonElement body;
        try
        {
            body = JsonDocument.Parse(text).RootElement.Clone();
        }
        catch (JsonException)
        {
            throw new BatchApiException($"{(int)response.StatusCode} {response.ReasonPhrase}: {text}", response.StatusCode);
        }

        return response.IsSuccessStatusCode ? body : throw new BatchApiException(Message(body), response.StatusCode);
    }
}
