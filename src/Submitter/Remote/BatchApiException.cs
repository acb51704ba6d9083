using System.Net;

namespace Dispatcher.Submitter.Remote;

/// <summary>The dispatcher's Batch API refused a call; the message is its own.</summary>
internal sealed class BatchApiException(string message, HttpStatusCode status) : Exception(message)
{
    public HttpStatusCode Status { get; } = status;
}
