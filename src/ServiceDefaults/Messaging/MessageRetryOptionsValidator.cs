using Microsoft.Extensions.Options;

namespace Dispatcher.ServiceDefaults.Messaging;

/// <summary>Checks the <c>MessageRetry</c> section at start-up, naming the offending key.</summary>
public sealed class MessageRetryOptionsValidator : IValidateOptions<MessageRetryOptions>
{
    // A message waiting to be tried again holds its consumer's slot (and, on RabbitMQ, stays
    // unacknowledged): the waits are bounded so a failing moment never stalls an endpoint long.
    private const int MaxRetries = 10;
    private static readonly TimeSpan LongestDelay = TimeSpan.FromMinutes(1);

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, MessageRetryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (options.Retries is < 0 or > MaxRetries)
        {
            errors.Add($"{MessageRetryOptions.Section}:{nameof(MessageRetryOptions.Retries)}: must be between 0 and {MaxRetries}, got {options.Retries}");
        }

        if (options.FirstDelay <= TimeSpan.Zero)
        {
            errors.Add($"{MessageRetryOptions.Section}:{nameof(MessageRetryOptions.FirstDelay)}: must be positive, got {options.FirstDelay}");
        }

        if (options.MaxDelay < options.FirstDelay || options.MaxDelay > LongestDelay)
        {
            errors.Add($"{MessageRetryOptions.Section}:{nameof(MessageRetryOptions.MaxDelay)}: must be between {nameof(MessageRetryOptions.FirstDelay)} ({options.FirstDelay}) and {LongestDelay}, got {options.MaxDelay}");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
