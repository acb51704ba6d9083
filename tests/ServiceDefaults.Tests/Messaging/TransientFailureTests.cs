using System.Net.Sockets;
using System.Text.Json;
using Dispatcher.ServiceDefaults.Messaging;
using MassTransit;
using RabbitMQ.Client.Exceptions;

namespace Dispatcher.ServiceDefaults.Tests.Messaging;

public sealed class TransientFailureTests
{
    public static TheoryData<Exception> Transient => new()
    {
        new TimeoutException("the broker did not confirm a pack"),
        new IOException("connection reset"),
        new SocketException((int)SocketError.ConnectionRefused),
        new TransportUnavailableException("the broker is unreachable"),
        new AlreadyClosedException(new RabbitMQ.Client.Events.ShutdownEventArgs(RabbitMQ.Client.ShutdownInitiator.Peer, 320, "CONNECTION_FORCED")),
        new InvalidOperationException("send failed", new IOException("broken pipe")),
    };

    public static TheoryData<Exception> Permanent => new()
    {
        new JsonException("'x' is an invalid start of a value"),
        new InvalidOperationException("this worker does not serve deployment 'd9'"),
        new ArgumentException("bad"),
        new OperationCanceledException(),
    };

    [Theory]
    [MemberData(nameof(Transient))]
    public void IsMatch_TransportOrTimeoutFailure_IsTransient(Exception exception) =>
        TransientFailure.IsMatch(exception).ShouldBeTrue();

    [Theory]
    [MemberData(nameof(Permanent))]
    public void IsMatch_FailureThatWouldRecur_IsNot(Exception exception) =>
        TransientFailure.IsMatch(exception).ShouldBeFalse();

    [Fact]
    public void IsMatch_RoleRecognisesAWrappedFailure_IsTransient()
    {
        var wrapped = new InvalidOperationException("outer", new ArgumentException("the role's own busy error"));

        TransientFailure.IsMatch(wrapped, e => e is ArgumentException).ShouldBeTrue();
        TransientFailure.IsMatch(wrapped).ShouldBeFalse();
    }
}
