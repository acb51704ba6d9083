using System.Net.Http.Headers;
using System.Text;

namespace Dispatcher.Bench.WorkerSdk;

/// <summary>
/// The HTTP client's own cost: a bare <see cref="HttpClient"/> posting the same request body to the
/// same server, <paramref name="concurrency"/> requests at a time, reading each answer whole (as the
/// SDK does). Run in the bench's process, which does nothing else meanwhile.
/// </summary>
internal static class BareClientLoop
{
    /// <summary>Posts <paramref name="requests"/> requests to <paramref name="url"/>; fails on any answer but 200.</summary>
    public static async Task RunAsync(Uri url, string body, string apiKey, int requests, int concurrency, CancellationToken ct)
    {
        using var client = new HttpClient();
        var payload = Encoding.UTF8.GetBytes(body);
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) < requests)
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(payload) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
                using var response = await client.SendAsync(request, ct);
                var answer = await response.Content.ReadAsByteArrayAsync(ct);
                if (!response.IsSuccessStatusCode || answer.Length == 0)
                {
                    throw new InvalidOperationException($"the server answered {(int)response.StatusCode} to a bare POST");
                }
            }
        }));
    }
}
