using Dispatcher.Catalog.Rules;
using Dispatcher.Tests.Support;
using Microsoft.Extensions.Configuration;

namespace Dispatcher.Catalog.Tests.Rules;

public sealed class RoutingRuleValidationTests
{
    private static CatalogOptions With(params RoutingRuleOptions[] rules)
    {
        var tagged = Catalogs.Deployment("a2");
        tagged.Tags = ["gpu"];
        tagged.Region = "eu";
        return new CatalogOptions
        {
            Deployments = [Catalogs.Deployment("a1"), tagged, Catalogs.Deployment("b1", "h"), Catalogs.Deployment("c1", "k")],
            ModelGroups =
            [
                new ModelGroupOptions { Name = "g", Rules = [.. rules] },
                new ModelGroupOptions { Name = "h", Rules = [new RoutingRuleOptions { When = Cond("""{"tenant": "x"}"""), Group = "k" }] },
            ],
        };
    }

    private static IConfigurationSection Cond(string json) => RoutingRuleOptions.Condition(json);

    private static IReadOnlyList<string> Errors(CatalogOptions options) =>
        new CatalogValidator(_ => null).Validate(null, options).Failures?.ToList() ?? [];

    [Fact]
    public void Validate_ValidRules_Succeeds() =>
        Errors(With(
            new RoutingRuleOptions { When = Cond("""{"tenant": "acme"}"""), Deployments = ["a1"] },
            new RoutingRuleOptions { When = Cond("""{"has_images": true}"""), Tags = ["gpu"], Regions = ["EU"] },
            new RoutingRuleOptions { When = Cond("""{"prompt_tokens": {"$gt": 5000}}"""), Providers = ["simulated"] },
            new RoutingRuleOptions { When = Cond("""{"has_tools": true}"""), Group = "h" })).ShouldBeEmpty();

    [Fact]
    public void Validate_UnknownOperator_NamesTheRuleKey() =>
        Errors(With(
            new RoutingRuleOptions { Deployments = ["a1"] },
            new RoutingRuleOptions { When = Cond("""{"prompt_tokens": {"$gte": 3}}"""), Deployments = ["a1"] }))
            .ShouldContain(e => e.StartsWith("Catalog:ModelGroups:0:Rules:1:When:prompt_tokens:$gte: unknown operator $gte", StringComparison.Ordinal));

    [Fact]
    public void Validate_UnknownField_NamesTheRuleKey() =>
        Errors(With(new RoutingRuleOptions { When = Cond("""{"model": "x"}"""), Deployments = ["a1"] }))
            .ShouldContain(e => e.StartsWith("Catalog:ModelGroups:0:Rules:0:When:model: unknown field 'model'", StringComparison.Ordinal));

    [Fact]
    public void Validate_BadRegex_NamesTheRuleKey() =>
        Errors(With(new RoutingRuleOptions { When = Cond("""{"tenant": {"$regex": "[a-"}}"""), Deployments = ["a1"] }))
            .ShouldContain(e => e.StartsWith("Catalog:ModelGroups:0:Rules:0:When:tenant:$regex: invalid regular expression", StringComparison.Ordinal));

    [Fact]
    public void Validate_UnknownDeployment_NamesTheRuleKey() =>
        Errors(With(new RoutingRuleOptions { Deployments = ["a1", "b1"] }))
            .ShouldContain(e => e.StartsWith("Catalog:ModelGroups:0:Rules:0:Deployments:1: no deployment 'b1' in model group 'g'", StringComparison.Ordinal));

    [Fact]
    public void Validate_TagNoDeploymentHolds_SaysItSelectsNone() =>
        Errors(With(new RoutingRuleOptions { Tags = ["tpu"] }))
            .ShouldContain(e => e.StartsWith("Catalog:ModelGroups:0:Rules:0: selects no deployment of model group 'g'", StringComparison.Ordinal));

    [Fact]
    public void Validate_UnknownProvider_NamesTheRuleKey() =>
        Errors(With(new RoutingRuleOptions { Providers = ["Gemini"] }))
            .ShouldContain(e => e.StartsWith("Catalog:ModelGroups:0:Rules:0:Providers:0: unknown provider 'Gemini'", StringComparison.Ordinal));

    [Fact]
    public void Validate_UnknownGroup_NamesTheRuleKey() =>
        Errors(With(new RoutingRuleOptions { Group = "nowhere" }))
            .ShouldContain(e => e.StartsWith("Catalog:ModelGroups:0:Rules:0:Group: names model group 'nowhere', which has no deployment", StringComparison.Ordinal));

    [Fact]
    public void Validate_SendsToItself_IsACycle() =>
        Errors(With(new RoutingRuleOptions { Group = "g" }))
            .ShouldContain(e => e.StartsWith("Catalog:ModelGroups:0:Rules:0:Group: sending to 'g' makes a cycle: g → g", StringComparison.Ordinal));

    [Fact]
    public void Validate_CycleThroughAnotherGroup_NamesThePath()
    {
        var options = With(new RoutingRuleOptions { When = Cond("""{"has_tools": true}"""), Group = "h" });
        options.ModelGroups.Add(new ModelGroupOptions { Name = "k", Rules = [new RoutingRuleOptions { Group = "g" }] });

        Errors(options).ShouldContain(e => e.StartsWith("Catalog:ModelGroups:0:Rules:0:Group: sending to 'h' makes a cycle: g → h → k → g", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_NarrowsAndSends_IsRefused() =>
        Errors(With(new RoutingRuleOptions { Deployments = ["a1"], Group = "h" }))
            .ShouldContain(e => e.StartsWith("Catalog:ModelGroups:0:Rules:0: a rule either narrows", StringComparison.Ordinal));

    [Fact]
    public void Validate_NeitherNarrowsNorSends_IsRefused() =>
        Errors(With(new RoutingRuleOptions { When = Cond("""{"tenant": "x"}""") }))
            .ShouldContain(e => e.StartsWith("Catalog:ModelGroups:0:Rules:0: a rule needs Deployments", StringComparison.Ordinal));

    [Fact]
    public void Validate_WhenIsAPlainValue_IsRefused()
    {
        var when = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["When"] = "tenant=x" })
            .Build()
            .GetSection("When");

        Errors(With(new RoutingRuleOptions { When = when, Deployments = ["a1"] }))
            .ShouldContain(e => e.StartsWith("Catalog:ModelGroups:0:Rules:0:When: must be an object", StringComparison.Ordinal));
    }
}
