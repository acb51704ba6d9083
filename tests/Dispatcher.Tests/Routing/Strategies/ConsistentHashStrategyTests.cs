using Dispatcher.Routing;

namespace Dispatcher.Tests.Routing.Strategies;

public sealed class ConsistentHashStrategyTests
{
    private const int Keys = 10_000;

    // Checked against an independent implementation of the same hash (FNV-1a 64 over UTF-16LE
    // key, its length as 4 bytes and 's', then the id; MurmurHash3 fmix64; highest wins).
    private static readonly string[] Pinned =
    [
        "gpt-4o-mini-4", "gpt-4o-mini-3", "gpt-4o-mini-0", "gpt-4o-mini-1",
        "gpt-4o-mini-2", "gpt-4o-mini-1", "gpt-4o-mini-0", "gpt-4o-mini-1",
    ];

    private readonly ConsistentHashStrategy _strategy = new();

    private static string Key(int i) => $"session-{i}";

    private Dictionary<string, string> Assign(RoutingCandidate[] candidates)
    {
        var owners = new Dictionary<string, string>(Keys);
        for (var i = 0; i < Keys; i++)
        {
            owners[Key(i)] = _strategy.PickId(Candidates.Request(Key(i)), candidates);
        }

        return owners;
    }

    private static RoutingCandidate[] Deployments(int count) =>
        Candidates.Named([.. Enumerable.Range(0, count).Select(i => $"gpt-4o-mini-{i}")]);

    [Fact]
    public void Pick_SameSessionKey_SameDeploymentAcrossJobsInstancesAndOrder()
    {
        var candidates = Deployments(5);
        RoutingCandidate[] reversed = [.. candidates.Reverse()];
        var other = new ConsistentHashStrategy();

        for (var i = 0; i < 200; i++)
        {
            var first = _strategy.PickId(Candidates.Request(Key(i)), candidates);

            _strategy.PickId(Candidates.Request(Key(i)), candidates).ShouldBe(first);
            other.PickId(Candidates.Request(Key(i)), reversed).ShouldBe(first);
        }
    }

    [Fact]
    public void Pick_KnownKeys_MatchPinnedDeployments()
    {
        // Pinned so that a hash that changes between processes or releases (string.GetHashCode
        // is randomized per process) fails here instead of silently moving every session.
        var candidates = Deployments(5);

        string[] picks = [.. Enumerable.Range(0, 8).Select(i => _strategy.PickId(Candidates.Request(Key(i)), candidates))];

        picks.ShouldBe(Pinned);
    }

    [Fact]
    public void Pick_ManyKeys_SpreadEvenly()
    {
        var owners = Assign(Deployments(4));

        var shares = owners.Values.GroupBy(id => id).ToDictionary(g => g.Key, g => g.Count() / (double)Keys);

        shares.Count.ShouldBe(4);
        shares.Values.ShouldAllBe(share => Math.Abs(share - 0.25) <= 0.025);
    }

    [Fact]
    public void Pick_DeploymentRemoved_RemapsOnlyItsKeys()
    {
        var all = Deployments(5);
        var before = Assign(all);

        var after = Assign([.. all.Where(c => c.Deployment.Id != "gpt-4o-mini-2")]);

        var moved = before.Keys.Where(k => before[k] != after[k]).ToList();
        moved.ShouldAllBe(k => before[k] == "gpt-4o-mini-2");
        moved.Count.ShouldBe(before.Values.Count(id => id == "gpt-4o-mini-2"));
        (moved.Count / (double)Keys).ShouldBe(0.2, 0.02);
    }

    [Fact]
    public void Pick_DeploymentAdded_TakesAboutItsShareOnlyFromOthers()
    {
        var before = Assign(Deployments(5));

        var after = Assign(Deployments(6));

        var moved = before.Keys.Where(k => before[k] != after[k]).ToList();
        moved.ShouldAllBe(k => after[k] == "gpt-4o-mini-5");
        (moved.Count / (double)Keys).ShouldBe(1 / 6.0, 0.02);
    }

    [Fact]
    public void Pick_NoSessionKey_HashesTheJobId()
    {
        var candidates = Deployments(4);
        var counts = new Dictionary<string, int>();

        for (var i = 0; i < 2000; i++)
        {
            var jobId = Guid.NewGuid();
            var byJob = _strategy.PickId(Candidates.Request(null, jobId), candidates);

            _strategy.PickId(Candidates.Request(null, jobId), candidates).ShouldBe(byJob);
            _strategy.PickId(Candidates.Request("", jobId), candidates).ShouldBe(byJob);
            counts[byJob] = counts.GetValueOrDefault(byJob) + 1;
        }

        counts.Count.ShouldBe(4);
        counts.Values.ShouldAllBe(n => n >= 400 && n <= 600);
    }

    [Fact]
    public void Pick_SessionKeySet_IgnoresTheJobId()
    {
        var candidates = Deployments(4);
        var first = _strategy.PickId(Candidates.Request("tenant-a/conversation-9"), candidates);

        var picks = Enumerable.Range(0, 100).Select(_ => _strategy.PickId(Candidates.Request("tenant-a/conversation-9", Guid.NewGuid()), candidates));

        picks.ShouldAllBe(id => id == first);
    }

    [Fact]
    public void Pick_WithSessionKeyAfterWarmUp_AllocatesNothing()
    {
        Candidates.AllocatedBytesOverThousandPicks(_strategy, Candidates.Request("session-1"), Deployments(5)).ShouldBe(0);
    }

    [Fact]
    public void Pick_WithoutSessionKeyAfterWarmUp_AllocatesNothing()
    {
        Candidates.AllocatedBytesOverThousandPicks(_strategy, Candidates.Request(null), Deployments(5)).ShouldBe(0);
    }
}
