using Dispatcher.Workers.Providers;

namespace Dispatcher.Workers.Tests.Providers;

/// <summary>An adapter stand-in whose every call does what the test scripted, and which counts its calls.</summary>
internal sealed class ScriptedProviderClient(Func<ProviderRequest, CancellationToken, Task<ProviderOutcome>> script) : IProviderClient
{
    private int _calls;

    public ScriptedProviderClient(Func<CancellationToken, Task<ProviderOutcome>> script)
        : this((_, ct) => script(ct))
    {
    }

    public int Calls => Volatile.Read(ref _calls);

    public static ScriptedProviderClient Returning(ProviderOutcome outcome) => new(_ => Task.FromResult(outcome));

    public static ScriptedProviderClient Throwing(Exception exception) => new(_ => Task.FromException<ProviderOutcome>(exception));

    public static ScriptedProviderClient Hanging() => new(async ct =>
    {
        await Task.Delay(Timeout.InfiniteTimeSpan, ct);
        throw new InvalidOperationException("unreachable");
    });

    public Task<ProviderOutcome> CompleteAsync(ProviderRequest request, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        return script(request, cancellationToken);
    }
}
