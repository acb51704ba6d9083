using Microsoft.Extensions.Options;

namespace Dispatcher.ServiceDefaults.Shutdown;

/// <summary>Checks the <c>Shutdown</c> section at start-up, naming the offending key.</summary>
public sealed class ShutdownOptionsValidator : IValidateOptions<ShutdownOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, ShutdownOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        // A zero grace would abandon every message in hand at once; an unbounded one is what this
        // setting exists to prevent (and the CLI waits for it before it gives up on a stop).
        return options.GracePeriod <= TimeSpan.Zero || options.GracePeriod > ShutdownOptions.LongestGracePeriod
            ? ValidateOptionsResult.Fail(
                $"{ShutdownOptions.Section}:{nameof(ShutdownOptions.GracePeriod)}: must be more than 00:00:00 and at most {ShutdownOptions.LongestGracePeriod}, got {options.GracePeriod}")
            : ValidateOptionsResult.Success;
    }
}
