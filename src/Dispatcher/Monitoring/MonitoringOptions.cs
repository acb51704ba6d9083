using System.ComponentModel.DataAnnotations;

namespace Dispatcher.Monitoring;

/// <summary>How often the dispatcher reads queue depths and samples its status, and how much history it keeps.</summary>
public sealed class MonitoringOptions
{
    /// <summary>The configuration section name.</summary>
    public const string Section = "Monitoring";

    /// <summary>Time between two readings of queue depths and status (<c>Monitoring:RefreshInterval</c>).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00", ErrorMessage = "Monitoring:RefreshInterval must be between 00:00:00.100 and 00:10:00.")]
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How far back the in-memory history for charts reaches (<c>Monitoring:HistoryLength</c>).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00", ErrorMessage = "Monitoring:HistoryLength must be between 00:00:01 and 1.00:00:00.")]
    public TimeSpan HistoryLength { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long one call to the RabbitMQ management API may take before the passive-declare fallback is used.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00", ErrorMessage = "Monitoring:ManagementTimeout must be between 00:00:00.100 and 00:01:00.")]
    public TimeSpan ManagementTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Readings the history holds: <see cref="HistoryLength"/> at <see cref="RefreshInterval"/>.</summary>
    public int HistoryCapacity => (int)Math.Clamp(Math.Ceiling(HistoryLength / RefreshInterval), 1, 100_000);
}
