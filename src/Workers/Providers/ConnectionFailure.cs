using System.Net.Sockets;

namespace Dispatcher.Workers.Providers;

/// <summary>
/// Recognises a call that got no answer because the connection failed: refused, reset, unreachable.
/// The SDKs wrap the transport's exception in their own (<c>ClientResultException</c>,
/// <c>AnthropicIOException</c>), so the whole chain of inner exceptions is searched.
/// </summary>
internal static class ConnectionFailure
{
    /// <summary>Whether <paramref name="exception"/> or one it wraps is a transport failure.</summary>
    public static bool IsMatch(Exception exception) => Find(exception) is not null;

    /// <summary>
    /// A message for the outcome: the outermost transport failure's (HttpClient's names the
    /// endpoint, e.g. "Connection refused (127.0.0.1:8000)"); never the SDK's wrapper, never headers.
    /// </summary>
    public static string Describe(Exception exception) =>
        $"Could not reach the provider: {(Find(exception) ?? exception).Message}";

    private static Exception? Find(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is HttpRequestException or SocketException or IOException)
            {
                return current;
            }
        }

        return null;
    }
}
