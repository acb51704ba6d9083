using Dispatcher.Catalog.Rules;
using Dispatcher.Tests.Support;

namespace Dispatcher.Catalog.Tests;

public sealed class ShareAssignmentTests
{
    private static CatalogOptions Groups(params ModelGroupOptions[] groups) => new()
    {
        Deployments = [Catalogs.Deployment("a1", "a"), Catalogs.Deployment("b1", "b"), Catalogs.Deployment("c1", "c"), Catalogs.Deployment("d1", "d")],
        ModelGroups = [.. groups],
    };

    private static (ShareAssignment Assignment, List<string> Errors) Create(CatalogOptions catalog, int shares)
    {
        var errors = new List<string>();
        return (ShareAssignment.Create(catalog, shares, errors), errors);
    }

    [Fact]
    public void Create_IndependentGroups_TakesTurnsInNameOrder()
    {
        var (assignment, errors) = Create(Groups(), shares: 2);

        errors.ShouldBeEmpty();
        assignment.Groups.ShouldBe(new Dictionary<string, int> { ["a"] = 0, ["b"] = 1, ["c"] = 0, ["d"] = 1 });
        assignment.ShareOfDeployment("b1").ShouldBe(1);
        assignment.DeploymentsOf(0).Order(StringComparer.Ordinal).ShouldBe(["a1", "c1"]);
    }

    [Fact]
    public void Create_OneShare_EveryGroupInShareZero()
    {
        var (assignment, errors) = Create(Groups(new ModelGroupOptions { Name = "c", Share = 0 }), shares: 1);

        errors.ShouldBeEmpty();
        assignment.Groups.Values.ShouldAllBe(s => s == 0);
    }

    [Fact]
    public void Create_GroupsJoinedByFallbacksAndRules_ShareOneShare()
    {
        // a falls back to c, b's context window fallback is d: two components, {a, c} and {b, d}.
        var (byFallbacks, _) = Create(
            Groups(new ModelGroupOptions { Name = "a", Fallbacks = ["c"] }, new ModelGroupOptions { Name = "b", ContextWindowFallbacks = ["d"] }), shares: 2);
        // A rule of d sends jobs to a: one component of a and d, then b, then c.
        var (byRule, _) = Create(Groups(new ModelGroupOptions { Name = "d", Rules = [new RoutingRuleOptions { Group = "a" }] }), shares: 3);

        byFallbacks.ShareOf("a").ShouldBe(byFallbacks.ShareOf("c"));
        byFallbacks.ShareOf("b").ShouldBe(byFallbacks.ShareOf("d"));
        byFallbacks.ShareOf("a").ShouldNotBe(byFallbacks.ShareOf("b"));
        byRule.Groups.ShouldBe(new Dictionary<string, int> { ["a"] = 0, ["d"] = 0, ["b"] = 1, ["c"] = 2 });
    }

    [Fact]
    public void Create_GroupNamesItsShare_ItsComponentGoesThere()
    {
        var (assignment, errors) = Create(
            Groups(new ModelGroupOptions { Name = "a", Fallbacks = ["b"] }, new ModelGroupOptions { Name = "b", Share = 2 }), shares: 3);

        errors.ShouldBeEmpty();
        assignment.ShareOf("a").ShouldBe(2);
        assignment.ShareOf("b").ShouldBe(2);
    }

    [Fact]
    public void Create_ShareOutOfRange_NamesTheKey()
    {
        var (_, errors) = Create(Groups(new ModelGroupOptions { Name = "a" }, new ModelGroupOptions { Name = "b", Share = 2 }), shares: 2);

        errors.ShouldHaveSingleItem().ShouldStartWith("Catalog:ModelGroups:1:Share: must be between 0 and 1");
    }

    [Fact]
    public void Create_OneComponentTwoShares_NamesBothKeys()
    {
        var (_, errors) = Create(
            Groups(new ModelGroupOptions { Name = "a", Fallbacks = ["b"], Share = 0 }, new ModelGroupOptions { Name = "b", Share = 1 }), shares: 2);

        var error = errors.ShouldHaveSingleItem();
        error.ShouldStartWith("Catalog:ModelGroups:1:Share: model group 'b' is put in share 1");
        error.ShouldContain("Catalog:ModelGroups:0:Share");
    }

    [Fact]
    public void ShareOf_UnknownGroup_ShareZero() =>
        Create(Groups(), shares: 2).Assignment.ShareOf("nowhere").ShouldBe(0);
}
