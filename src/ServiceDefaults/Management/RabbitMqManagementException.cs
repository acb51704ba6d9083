namespace Dispatcher.ServiceDefaults.Management;

/// <summary>The management API could not answer; the message names the address but never the credentials.</summary>
public sealed class RabbitMqManagementException : Exception
{
    public RabbitMqManagementException(string message)
        : base(message)
    {
    }

    public RabbitMqManagementException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
