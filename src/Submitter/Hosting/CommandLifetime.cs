using Microsoft.Extensions.Hosting;

namespace Dispatcher.Submitter.Hosting;

/// <summary>
/// The lifetime of a host a CLI command starts and stops itself. The command line owns Ctrl+C
/// and SIGTERM (it cancels the command, which stops the host within the grace period); a console
/// lifetime beside it would take the same signals to stop an application nothing waits on, and
/// whichever of the two the runtime told first would decide whether the command heard of it.
/// </summary>
internal sealed class CommandLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
