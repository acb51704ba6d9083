using Dispatcher.Catalog;
using Dispatcher.Fairness;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Dispatcher.Tests.Fairness;

public sealed class FairSharesTests
{
    private readonly FakeTimeProvider _time = new();

    private FairShares Shares(params TenantOptions[] tenants) =>
        new(Options.Create(new CatalogOptions { Tenants = [.. tenants] }), _time);

    // Joins, takes capacity worth tokens, leaves: one job of the flow sent.
    private static void Send(FairShares shares, FairKey key, int tokens)
    {
        var ticket = shares.Join("g", key);
        shares.Charge(ticket, tokens);
        shares.Leave(ticket);
    }

    [Fact]
    public void IsTurnOf_TenantThatHadCapacity_WaitsForOneThatHadNone()
    {
        var shares = Shares();
        var a = shares.Join("g", FairKey.Of(0, "a", "big"));
        shares.Charge(a, 1_000);
        shares.Leave(a);
        var aNext = shares.Join("g", FairKey.Of(0, "a", "big"));
        var b = shares.Join("g", FairKey.Of(0, "b", "small"));

        shares.IsTurnOf(b).ShouldBeTrue();
        shares.IsTurnOf(aNext).ShouldBeFalse();
    }

    [Fact]
    public void IsTurnOf_OtherGroupOrPriority_SharesNothing()
    {
        var shares = Shares();
        Send(shares, FairKey.Of(0, "a", null), 1_000);
        var a = shares.Join("g", FairKey.Of(0, "a", null));
        var otherGroup = shares.Join("h", FairKey.Of(0, "b", null));
        var otherPriority = shares.Join("g", FairKey.Of(5, "b", null));

        shares.IsTurnOf(a).ShouldBeTrue("b waits for another group's capacity, or at another priority (the gate orders priorities)");
        shares.IsTurnOf(otherGroup).ShouldBeTrue();
        shares.IsTurnOf(otherPriority).ShouldBeTrue();
    }

    [Fact]
    public void IsTurnOf_TenantComingBackAfterIdle_StartsAtTheClockWithoutBankedCredit()
    {
        var shares = Shares();
        var b = shares.Join("g", FairKey.Of(0, "b", null));
        shares.Leave(b); // b goes away before anything is sent

        var a = shares.Join("g", FairKey.Of(0, "a", null));
        for (var i = 0; i < 10; i++)
        {
            shares.Charge(a, 100); // a alone: it takes everything
        }

        // b comes back: it starts where the clock is, so it does not get ten turns in a row.
        var bBack = shares.Join("g", FairKey.Of(0, "b", null));
        shares.IsTurnOf(bBack).ShouldBeTrue();
        shares.Charge(bBack, 100);
        shares.Charge(bBack, 100);
        shares.IsTurnOf(a).ShouldBeTrue("b has had as much as a since it came back");
    }

    [Fact]
    public void IsTurnOf_WeightTwo_GetsTwiceTheTokensBeforeItsTurnPasses()
    {
        var shares = Shares(new TenantOptions { Name = "heavy", Weight = 2 });
        var heavy = shares.Join("g", FairKey.Of(0, "heavy", null));
        var light = shares.Join("g", FairKey.Of(0, "light", null));

        shares.Charge(light, 100);
        shares.Charge(heavy, 100);
        shares.IsTurnOf(heavy).ShouldBeTrue("100 tokens at weight 2 is half of light's 100 at weight 1");
        shares.Charge(heavy, 100);
        shares.IsTurnOf(light).ShouldBeTrue();
        shares.IsTurnOf(heavy).ShouldBeTrue("level: both may go");
        shares.Charge(heavy, 100);
        shares.IsTurnOf(heavy).ShouldBeFalse();
    }

    [Fact]
    public void IsTurnOf_BatchesOfOneTenant_ShareTheTenantsTurn()
    {
        var shares = Shares();
        var big = shares.Join("g", FairKey.Of(0, "a", "big"));
        shares.Charge(big, 5_000);
        var small = shares.Join("g", FairKey.Of(0, "a", "small"));
        var other = shares.Join("g", FairKey.Of(0, "b", null));
        shares.Charge(other, 5_000);

        shares.IsTurnOf(small).ShouldBeTrue("the small batch is behind nothing inside its tenant, and the tenants are level");
        shares.IsTurnOf(big).ShouldBeFalse("the big batch had its share inside the tenant");
    }

    [Fact]
    public void Tenants_SharesOfTheLastMinute_WithWaitsAndWaiting()
    {
        var shares = Shares(new TenantOptions { Name = "a", Weight = 3 });
        var a = shares.Join("g", FairKey.Of(0, "a", null));
        _time.Advance(TimeSpan.FromSeconds(2));
        shares.Charge(a, 300);
        shares.Leave(a);
        Send(shares, FairKey.Of(0, "b", null), 100);
        var waiting = shares.Join("g", FairKey.Of(0, "b", null));

        var tenants = shares.Tenants();

        tenants.Select(t => t.Tenant).ShouldBe(["a", "b"]);
        tenants[0].ShouldBe(new TenantShare("a", 3, 0, 1, 300, 0.75, 2));
        tenants[1].ShouldBe(new TenantShare("b", 1, 1, 1, 100, 0.25, 0));

        _time.Advance(TimeSpan.FromSeconds(61));
        shares.Leave(waiting);
        shares.Tenants().ShouldBeEmpty("nothing sent in the last minute and nothing waiting");
    }

    [Fact]
    public void Leave_Twice_CountsOnce()
    {
        var shares = Shares();
        var first = shares.Join("g", FairKey.Of(0, "a", null));
        var second = shares.Join("g", FairKey.Of(0, "a", null));

        shares.Leave(first);
        shares.Leave(first);

        shares.Tenants().Single().Waiting.ShouldBe(1);
        shares.Leave(second);
    }
}
