namespace Dispatcher.Workers.Hosting;

/// <summary>Which deployments this worker process serves, bound from the <c>Workers</c> section.</summary>
public sealed class WorkerOptions
{
    /// <summary>The configuration section name.</summary>
    public const string Section = "Workers";

    /// <summary>Deployment ids to serve; empty serves every deployment in the catalog.</summary>
    public List<string> Deployments { get; set; } = [];

    /// <summary>Messages fetched ahead per deployment queue, as a multiple of its MaxParallel.</summary>
    public int PrefetchPerSlot { get; set; } = 2;
}
