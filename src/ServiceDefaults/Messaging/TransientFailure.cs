using System.Net.Sockets;
using MassTransit;
using RabbitMQ.Client.Exceptions;

namespace Dispatcher.ServiceDefaults.Messaging;

/// <summary>
/// Recognises a failure that handling the same message a moment later may not meet again: the
/// broker unreachable or not confirming a send, a timeout, a broken connection. Anything else (a
/// message that cannot be read, a job that is invalid, a bug) would fail the same way every time,
/// and goes to the error queue at once. The whole chain of inner exceptions is searched, as
/// transports wrap the socket's failure in their own.
/// </summary>
public static class TransientFailure
{
    /// <summary>
    /// Whether <paramref name="exception"/>, or one it wraps, is transient by this class's measure
    /// or by <paramref name="alsoTransient"/>'s (a role's own, such as its database's busy errors).
    /// </summary>
    public static bool IsMatch(Exception exception, Func<Exception, bool>? alsoTransient = null)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (IsTransient(current) || alsoTransient?.Invoke(current) == true)
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsTransient(Exception exception) => exception is
        TimeoutException
        or IOException
        or SocketException
        // MassTransit's: the transport's connection lost, the broker unreachable or refusing a publish.
        or ConnectionException
        or TransportUnavailableException
        or MessageNotAcknowledgedException
        // RabbitMQ's client: a channel or connection closed under the operation, the broker unreachable.
        or OperationInterruptedException
        or BrokerUnreachableException
        or ConnectFailureException;
}
