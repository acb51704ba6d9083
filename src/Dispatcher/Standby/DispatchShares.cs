using System.Globalization;
using Dispatcher.Catalog;
using Microsoft.Extensions.Options;

namespace Dispatcher.Standby;

/// <summary>
/// The shares the model groups are split into (<see cref="StandbyOptions.Shares"/>) and the names of
/// each share's queues. With one share, the queues keep their names; with several, every queue that
/// holds work of one group's jobs (its dispatch lanes, outcomes, retries, fallbacks, retry delays)
/// is the share's own, named with the share's suffix (<c>dispatcher-outcomes.s1</c>), and is
/// single-active, so the broker decides which process routes the share's groups.
/// </summary>
public sealed class DispatchShares
{
    private const string Suffix = ".s";

    /// <summary>Reads the number of shares and assigns the catalog's groups to them.</summary>
    public DispatchShares(IOptions<StandbyOptions> options, IOptions<CatalogOptions> catalog)
    {
        Count = Math.Max(options.Value.Shares, 1);
        // The options were validated at start: an error here would have stopped it.
        Assignment = ShareAssignment.Create(catalog.Value, Count, new List<string>());
    }

    /// <summary>How many shares there are.</summary>
    public int Count { get; }

    /// <summary>Whether there is more than one share, so shares have queues of their own and are fenced.</summary>
    public bool Split => Count > 1;

    /// <summary>Which share each model group and deployment is in.</summary>
    public ShareAssignment Assignment { get; }

    /// <summary>The share of <paramref name="modelGroup"/>.</summary>
    public int ShareOf(string modelGroup) => Assignment.ShareOf(modelGroup);

    /// <summary>The name of <paramref name="queue"/> of <paramref name="share"/>: the name itself with one share.</summary>
    public string Queue(string queue, int share) =>
        Split ? queue + Suffix + share.ToString(CultureInfo.InvariantCulture) : queue;

    /// <summary>Where to send to <paramref name="queue"/> of the share of <paramref name="modelGroup"/>: its exchange, declared with the queue.</summary>
    public Uri Address(string queue, string modelGroup) => new("exchange:" + Queue(queue, ShareOf(modelGroup)));

    /// <summary>
    /// The share whose queue <paramref name="queueName"/> is (the last segment of a delivery's input
    /// address), or null for a queue every dispatcher shares (the intake, batch announcements and
    /// commands, replays) or a name without a share's suffix.
    /// </summary>
    public static int? ShareOfQueue(string? queueName)
    {
        var at = queueName?.LastIndexOf(Suffix, StringComparison.Ordinal) ?? -1;
        return at > 0 && int.TryParse(queueName.AsSpan(at + Suffix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var share)
            ? share
            : null;
    }

    /// <summary>The share whose queue <paramref name="context"/>'s delivery came off, or null (as <see cref="ShareOfQueue"/>).</summary>
    public static int? ShareOfDelivery(MassTransit.ConsumeContext context) =>
        ShareOfQueue(ServiceDefaults.Messaging.ReceiveEndpointWatchdog.QueueOf(context.ReceiveContext.InputAddress));

    /// <summary><paramref name="queueName"/> without its share's suffix.</summary>
    public static string BaseName(string queueName)
    {
        var at = queueName.LastIndexOf(Suffix, StringComparison.Ordinal);
        return at > 0 && ShareOfQueue(queueName) is not null ? queueName[..at] : queueName;
    }
}
