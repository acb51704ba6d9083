using Dispatcher.Breakers;
using Dispatcher.Catalog;
using Dispatcher.Catalog.Rules;
using Dispatcher.Quotas;
using Dispatcher.Reservations;
using Dispatcher.Routing;
using Dispatcher.Tests.Support;
using Microsoft.Extensions.Options;

namespace Dispatcher.Tests.Routing;

public sealed class RoutingRulesTests
{
    private static RoutingRuleOptions Rule(string? name, string when) =>
        new() { Name = name, When = RoutingRuleOptions.Condition(when) };

    // Group g: a (us, tag cheap), b (eu, tag gpu), c (eu, OpenAI); group h: h1; group k: k1.
    private static CatalogOptions Catalog(params RoutingRuleOptions[] rules)
    {
        var a = Catalogs.Deployment("a");
        a.Region = "us";
        a.Tags = ["cheap"];
        var b = Catalogs.Deployment("b");
        b.Region = "eu";
        b.Tags = ["gpu"];
        var c = Catalogs.Deployment("c");
        c.Region = "eu";
        c.Provider = ProviderKind.OpenAI;
        c.BaseUrl = new Uri("http://127.0.0.1:9/v1");
        return new CatalogOptions
        {
            Deployments = [a, b, c, Catalogs.Deployment("h1", "h"), Catalogs.Deployment("k1", "k")],
            ModelGroups =
            [
                new ModelGroupOptions { Name = "g", Strategy = StrategyNames.RoundRobin, Rules = [.. rules] },
                new ModelGroupOptions { Name = "h", Fallbacks = ["k"] },
            ],
        };
    }

    private static DeploymentRouter Router(CatalogOptions options)
    {
        var catalog = Options.Create(options);
        var quotas = new QuotaBook(catalog, TimeProvider.System);
        var spend = new SpendBook(catalog, TimeProvider.System);
        var breakers = new DeploymentBreakers(catalog, TimeProvider.System);
        return new DeploymentRouter(
            catalog,
            [new ExcludedFilter(), new ContextWindowFilter(), new TenantRegionFilter(catalog)],
            quotas,
            new LatencyTracker(TimeProvider.System),
            spend,
            breakers,
            new AttemptReservations(quotas, spend, breakers));
    }

    private static RoutingRequest Request(
        string? tenant = null,
        int prompt = 10,
        bool images = false,
        bool tools = false,
        Dictionary<string, string>? body = null,
        Dictionary<string, string>? batch = null,
        string group = "g",
        params string[] excluded) =>
        new(Guid.NewGuid(), group, prompt, 10, tenant, null, excluded.ToHashSet(), Contracts.Endpoints.ChatCompletions, new JobTraits(images, tools, body, batch));

    private static string?[] Picks(DeploymentRouter router, Func<RoutingRequest> request, int count = 6) =>
        [.. Enumerable.Range(0, count).Select(_ => router.Route(request()).Deployment?.Id).Distinct().Order()];

    [Fact]
    public void Route_NoRules_UsesEveryDeployment() =>
        Picks(Router(Catalog()), () => Request("acme")).ShouldBe(["a", "b", "c"]);

    [Fact]
    public void Route_RuleNarrowsByDeploymentId_PicksOnlyThose()
    {
        var rule = Rule("acme", """{"tenant": {"$eq": "acme"}}""");
        rule.Deployments = ["b", "c"];
        var router = Router(Catalog(rule));

        Picks(router, () => Request("acme")).ShouldBe(["b", "c"]);
        Picks(router, () => Request("other")).ShouldBe(["a", "b", "c"]);
    }

    [Fact]
    public void Route_RuleNarrowsByTag_PicksTaggedOnly()
    {
        var rule = Rule("images", """{"has_images": true}""");
        rule.Tags = ["gpu"];
        var router = Router(Catalog(rule));

        Picks(router, () => Request(images: true)).ShouldBe(["b"]);
        Picks(router, () => Request(images: false)).ShouldBe(["a", "b", "c"]);
    }

    [Fact]
    public void Route_RuleNarrowsByRegion_PicksThatRegionOnly()
    {
        var rule = Rule("eu-team", """{"batch.metadata.team": "eu-research"}""");
        rule.Regions = ["EU"];
        var router = Router(Catalog(rule));

        Picks(router, () => Request(batch: new() { ["team"] = "eu-research" })).ShouldBe(["b", "c"]);
        Picks(router, () => Request(batch: new() { ["team"] = "ads" })).ShouldBe(["a", "b", "c"]);
    }

    [Fact]
    public void Route_RuleNarrowsByProvider_PicksThatProviderOnly()
    {
        var rule = Rule("tools", """{"has_tools": true}""");
        rule.Providers = ["openai"];
        var router = Router(Catalog(rule));

        Picks(router, () => Request(tools: true)).ShouldBe(["c"]);
    }

    [Fact]
    public void Route_BodyMetadataAndPromptTokens_ReadFromTheRequest()
    {
        var byTag = Rule("crawler", """{"body.metadata.source": {"$in": ["crawler", "backfill"]}}""");
        byTag.Deployments = ["a"];
        var big = Rule("long", """{"prompt_tokens": {"$gt": 5000}}""");
        big.Deployments = ["b"];
        var router = Router(Catalog(byTag, big));

        Picks(router, () => Request(body: new() { ["source"] = "backfill" })).ShouldBe(["a"]);
        Picks(router, () => Request(prompt: 6000)).ShouldBe(["b"]);
        Picks(router, () => Request(prompt: 4000)).ShouldBe(["a", "b", "c"]);
    }

    [Fact]
    public void Route_TwoRulesMatch_FirstWins()
    {
        var first = Rule("first", """{"tenant": {"$regex": "^ac"}}""");
        first.Deployments = ["a"];
        var second = Rule("second", """{"tenant": "acme"}""");
        second.Deployments = ["b"];
        var router = Router(Catalog(first, second));

        Picks(router, () => Request("acme")).ShouldBe(["a"]);
        router.Route(Request("acme")).Reason.ShouldStartWith("rule 0 'first' of g matched; round-robin chose a of 1 candidate(s)");
    }

    [Fact]
    public void Route_FirstRuleDoesNotMatch_LaterRuleApplies()
    {
        var first = Rule("first", """{"tenant": "zeta"}""");
        first.Deployments = ["a"];
        var second = Rule(null, """{"tenant": "acme"}""");
        second.Deployments = ["b"];
        var router = Router(Catalog(first, second));

        var decision = router.Route(Request("acme"));

        decision.Deployment!.Id.ShouldBe("b");
        decision.Rule!.Index.ShouldBe(1);
        decision.Reason.ShouldStartWith("rule 1 of g matched; ");
    }

    [Fact]
    public void Route_NoRuleMatches_ReasonNamesNoRule()
    {
        var rule = Rule("acme", """{"tenant": "acme"}""");
        rule.Deployments = ["a"];
        var router = Router(Catalog(rule));

        var decision = router.Route(Request("other"));

        decision.Rule.ShouldBeNull();
        decision.Reason.ShouldStartWith("round-robin chose");
    }

    [Fact]
    public void Route_RuleLeavesNoCandidate_RefusesNamingTheRule()
    {
        var rule = Rule("acme-a", """{"tenant": "acme"}""");
        rule.Deployments = ["a"];
        var router = Router(Catalog(rule));

        var decision = router.Route(Request("acme", excluded: "a"));

        decision.Deployment.ShouldBeNull();
        decision.RetryIn.ShouldBeNull();
        decision.RefusalKind.ShouldBe(Contracts.ErrorKind.NoDeployment);
        decision.Reason.ShouldStartWith("rule 0 'acme-a' of g matched and left no deployment of 'g' that can take the job now: a (already-tried), b (not selected by the rule), c (not selected by the rule)");
    }

    [Fact]
    public void Route_NarrowedDeploymentShortOfQuota_WaitsForItInsteadOfTakingAnother()
    {
        var options = Catalog(Rule("acme-a", """{"tenant": "acme"}"""));
        options.ModelGroups[0].Rules[0].Deployments = ["a"];
        options.Deployments[0].Rpm = 1;
        options.Deployments[0].BurstFraction = 1;
        var router = Router(options);

        router.Route(Request("acme")).Deployment!.Id.ShouldBe("a");
        var second = router.Route(Request("acme"));

        second.Deployment.ShouldBeNull();
        second.RetryIn.ShouldNotBeNull();
        second.Reason.ShouldContain("a (quota: free in");
    }

    [Fact]
    public void Route_SendingRuleInTheGroupRouted_LeavesItsDeploymentsAsTheyAre()
    {
        var rule = Rule("tools", """{"has_tools": true}""");
        rule.Group = "h";
        var router = Router(Catalog(rule));

        var decision = router.Route(Request(tools: true));

        decision.Deployment!.ModelGroup.ShouldBe("g");
        decision.Rule.ShouldBeNull();
    }

    [Fact]
    public void Redirect_SendingRuleMatches_ChainIsTheTargetAndItsFallbacks()
    {
        var rule = Rule("tools", """{"has_tools": true}""");
        rule.Group = "h";
        var rules = new RoutingRules(Options.Create(Catalog(rule)));

        var chain = rules.Redirect(Request(tools: true), ["g", "z"], out var sentBy);

        chain.ShouldBe(["h", "k"]);
        sentBy!.Description.ShouldBe("rule 0 'tools' of g");
    }

    [Fact]
    public void Redirect_NoSendingRuleMatches_ChainUnchanged()
    {
        var rule = Rule("tools", """{"has_tools": true}""");
        rule.Group = "h";
        var rules = new RoutingRules(Options.Create(Catalog(rule)));

        var chain = rules.Redirect(Request(tools: false), ["g", "z"], out var sentBy);

        chain.ShouldBe(["g", "z"]);
        sentBy.ShouldBeNull();
    }

    [Fact]
    public void Redirect_TargetSendsOn_FollowsToTheLastGroup()
    {
        var rule = Rule("tools", """{"has_tools": true}""");
        rule.Group = "h";
        var options = Catalog(rule);
        var onward = Rule("acme", """{"tenant": "acme"}""");
        onward.Group = "k";
        options.ModelGroups[1].Rules = [onward];
        var rules = new RoutingRules(Options.Create(options));

        var chain = rules.Redirect(Request("acme", tools: true), ["g"], out var sentBy);

        chain.ShouldBe(["k"]);
        sentBy!.Description.ShouldBe("rule 0 'acme' of h");
    }

    [Fact]
    public void Route_JobSentByARule_ReasonSaysSo()
    {
        var rule = Rule("tools", """{"has_tools": true}""");
        rule.Group = "h";
        var options = Catalog(rule);
        var rules = new RoutingRules(Options.Create(options));
        var request = Request(tools: true);
        var chain = rules.Redirect(request, ["g"], out var sentBy);
        var router = Router(options);

        var decision = router.Route(request with { ModelGroup = chain[0], SentBy = sentBy });

        decision.Deployment!.Id.ShouldBe("h1");
        decision.Reason.ShouldStartWith("rule 0 'tools' of g sent the job to h; ");
    }

    [Fact]
    public void RoutingRules_WhatTheRulesRead_OnlyThatIsGathered()
    {
        var tenant = Rule("acme", """{"tenant": "acme"}""");
        tenant.Deployments = ["a"];
        var nested = Rule("nested", """{"$or": [{"tenant": "x"}, {"$and": [{"body.metadata.source": "crawler"}]}]}""");
        nested.Group = "h";

        var plain = new RoutingRules(Options.Create(Catalog(tenant)));
        var reading = new RoutingRules(Options.Create(Catalog(tenant, nested)));

        (plain.Any, plain.Sends, plain.ReadsBodyMetadata, plain.ReadsBatchMetadata).ShouldBe((true, false, false, false));
        (reading.Any, reading.Sends, reading.ReadsBodyMetadata, reading.ReadsBatchMetadata).ShouldBe((true, true, true, false));
    }
}
