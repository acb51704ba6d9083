using Microsoft.Extensions.Options;

namespace Dispatcher.ServiceDefaults.Messaging;

/// <summary>Checks the <c>Transport:RabbitMq</c> node list, queue type and heartbeat at start-up, naming the offending key.</summary>
public sealed class TransportOptionsValidator : IValidateOptions<TransportOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, TransportOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        const string Prefix = $"{TransportOptions.Section}:{nameof(TransportOptions.RabbitMq)}";
        var rabbit = options.RabbitMq;
        var errors = new List<string>();
        for (var i = 0; i < rabbit.Hosts.Count; i++)
        {
            if (RabbitMqNode.TryParse(rabbit.Hosts[i], rabbit.Port, out var error) is null)
            {
                errors.Add($"{Prefix}:{nameof(RabbitMqOptions.Hosts)}:{i}: {error}");
            }
        }

        // The binder takes any number for an enum, so an undefined one is caught here.
        if (!Enum.IsDefined(rabbit.QueueType))
        {
            errors.Add($"{Prefix}:{nameof(RabbitMqOptions.QueueType)}: must be classic or quorum, got '{rabbit.QueueType}'");
        }

        if (rabbit.Heartbeat < TimeSpan.FromSeconds(1) || rabbit.Heartbeat > TimeSpan.FromMinutes(10))
        {
            errors.Add($"{Prefix}:{nameof(RabbitMqOptions.Heartbeat)}: must be between 00:00:01 and 00:10:00, got {rabbit.Heartbeat}");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
