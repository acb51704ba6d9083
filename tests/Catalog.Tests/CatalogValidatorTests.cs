using Dispatcher.Tests.Support;

namespace Dispatcher.Catalog.Tests;

public sealed class CatalogValidatorTests
{
    private static CatalogOptions Valid() => new()
    {
        Deployments = [Catalogs.Deployment("a"), Catalogs.Deployment("b", "h")],
        ModelGroups = [new ModelGroupOptions { Name = "g", Fallbacks = ["h"] }],
    };

    private static IReadOnlyList<string> Errors(CatalogOptions options, Func<string, string?>? env = null) =>
        new CatalogValidator(env ?? (_ => null)).Validate(null, options).Failures?.ToList() ?? [];

    [Fact]
    public void Validate_ValidCatalog_Succeeds() => Errors(Valid()).ShouldBeEmpty();

    [Fact]
    public void Validate_NegativeRpm_NamesTheKey()
    {
        var options = Valid();
        options.Deployments[1].Rpm = -5;

        Errors(options).ShouldContain(e => e.StartsWith("Catalog:Deployments:1:Rpm", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_UnknownTokenizer_NamesTheKeyAndListsKnownOnes()
    {
        var options = Valid();
        options.Deployments[1].Tokenizer = "p50k_base";

        Errors(options).ShouldContain(e => e.StartsWith("Catalog:Deployments:1:Tokenizer: unknown tokenizer 'p50k_base'", StringComparison.Ordinal)
            && e.Contains("o200k_base, cl100k_base, heuristic"));
    }

    [Theory]
    [InlineData("o200k_base")]
    [InlineData("CL100K_BASE")]
    [InlineData("heuristic")]
    public void Validate_KnownTokenizer_Succeeds(string tokenizer)
    {
        var options = Valid();
        options.Deployments[0].Tokenizer = tokenizer;

        Errors(options).ShouldBeEmpty();
    }

    [Fact]
    public void Validate_SimulationPhasesOutOfOrderOrOutOfRange_NamesEachPhasesKey()
    {
        var options = Valid();
        options.Deployments[0].Simulation.Phases =
        [
            new SimulationPhase { AfterSeconds = 60, LatencyMs = 500, ErrorRate = 0.2 },
            new SimulationPhase { AfterSeconds = 30 },
            new SimulationPhase { AfterSeconds = 90, ErrorRate = 1.5 },
            new SimulationPhase { LatencyMs = 5 },
        ];

        var errors = Errors(options);

        errors.ShouldContain("Catalog:Deployments:0:Simulation:Phases:1:AfterSeconds: must be later than phase 0's (60), got 30.");
        errors.ShouldContain(e => e.StartsWith("Catalog:Deployments:0:Simulation:Phases:2:ErrorRate:", StringComparison.Ordinal));
        errors.ShouldContain(e => e.StartsWith("Catalog:Deployments:0:Simulation:Phases:3:AfterSeconds:", StringComparison.Ordinal));
        errors.Count.ShouldBe(3, string.Join(Environment.NewLine, errors));
    }

    [Fact]
    public void Validate_SimulationPhasesInOrder_Succeeds()
    {
        var options = Valid();
        options.Deployments[0].Simulation.Phases = [new SimulationPhase { AfterSeconds = 0, LatencyMs = 5 }, new SimulationPhase { AfterSeconds = 60, ErrorRate = 0.2 }];

        Errors(options).ShouldBeEmpty();
    }

    [Fact]
    public void Validate_AdaptiveWindowNotPositive_NamesTheKey()
    {
        var options = Valid();
        options.ModelGroups[0].AdaptiveWindow = TimeSpan.Zero;

        Errors(options).ShouldBe(["Catalog:ModelGroups:0:AdaptiveWindow: must be positive, got 00:00:00."]);
    }

    [Fact]
    public void Validate_DuplicateId_NamesTheKey()
    {
        var options = Valid();
        options.Deployments[1].Id = "a";

        Errors(options).ShouldContain(e => e.StartsWith("Catalog:Deployments:1:Id", StringComparison.Ordinal) && e.Contains("duplicate"));
    }

    [Fact]
    public void Validate_UnknownStrategy_NamesTheKeyAndListsKnownOnes()
    {
        var options = Valid();
        options.ModelGroups[0].Strategy = "fastest";

        Errors(options).ShouldContain(e => e.StartsWith("Catalog:ModelGroups:0:Strategy", StringComparison.Ordinal) && e.Contains("round-robin"));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void Validate_MaxRateLimitedAttemptsBelowOne_NamesTheKey(int value)
    {
        var options = Valid();
        options.ModelGroups[0].MaxRateLimitedAttempts = value;

        Errors(options).ShouldContain(e => e.StartsWith("Catalog:ModelGroups:0:MaxRateLimitedAttempts", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_FallbackToMissingGroup_NamesTheKey()
    {
        var options = Valid();
        options.ModelGroups[0].Fallbacks = ["nope"];

        Errors(options).ShouldContain(e => e.StartsWith("Catalog:ModelGroups:0:Fallbacks:0", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_MissingKeyVariable_NamesTheVariableNotAValue()
    {
        var options = Valid();
        options.Deployments[0].Provider = ProviderKind.OpenAI;
        options.Deployments[0].ApiKeyVariable = "MY_KEY";

        Errors(options).ShouldContain(e => e.StartsWith("Catalog:Deployments:0:ApiKeyVariable", StringComparison.Ordinal) && e.Contains("MY_KEY"));
        Errors(options, name => name == "MY_KEY" ? "sk-secret" : null).ShouldBeEmpty();
    }

    [Fact]
    public void Validate_NoDeployments_Fails() => Errors(new CatalogOptions()).ShouldContain(e => e.StartsWith("Catalog:Deployments", StringComparison.Ordinal));
}
