using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Dispatcher.ServiceDefaults.Messaging;

namespace Dispatcher.ServiceDefaults.Management;

/// <summary>Where the RabbitMQ management HTTP API is and how to log in to it.</summary>
/// <remarks>A class rather than a record so that no generated <c>ToString</c> ever prints the password.</remarks>
public sealed class RabbitMqManagementOptions
{
    public const string SectionName = "RabbitMq:Management";

    /// <summary>The API's base address, e.g. <c>http://127.0.0.1:15672/</c>; credentials go in <see cref="Username"/> and <see cref="Password"/>, not here.</summary>
    [Required]
    public Uri? BaseAddress { get; set; }

    /// <summary>The APIs of further nodes of the cluster, asked in order when <see cref="BaseAddress"/> does not answer.</summary>
    public IReadOnlyList<Uri> FallbackAddresses { get; set; } = [];

    [Required]
    public string Username { get; set; } = string.Empty;

    [Required]
    public string Password { get; set; } = string.Empty;

    [Required]
    public string VirtualHost { get; set; } = "/";

    /// <summary>
    /// The management API of the broker the transport settings name (on each of its nodes, at the
    /// management port, in the order the nodes are listed), with the password from its environment variable.
    /// </summary>
    public static RabbitMqManagementOptions ForBroker(RabbitMqOptions rabbit)
    {
        ArgumentNullException.ThrowIfNull(rabbit);
        var addresses = rabbit.Nodes()
            .Select(n => new Uri(string.Create(CultureInfo.InvariantCulture, $"http://{n.Host}:{rabbit.ManagementPort}/")))
            .Distinct()
            .ToList();
        return new RabbitMqManagementOptions
        {
            BaseAddress = addresses[0],
            FallbackAddresses = addresses.Skip(1).ToList(),
            Username = rabbit.Username,
            Password = rabbit.ResolvePassword(),
            VirtualHost = rabbit.VirtualHost,
        };
    }
}
