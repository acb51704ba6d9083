
namespace Dispatcher.Catalog.Tests;

public sealed class CircuitBreakerOptionsValidationTests
{
    [Fact]
    public void Validate_DefaultBreaker_Succeeds()
    {
        var breaker = new CircuitBreakerOptions();

        Validate(breaker).Succeeded.ShouldBeTrue();
        breaker.FailureRatio.ShouldBe(0.5);
        breaker.SamplingDurationSeconds.ShouldBe(30);
        breaker.MinimumThroughput.ShouldBe(10);
        breaker.BreakDurationSeconds.ShouldBe(15);
    }

    [Theory]
    [InlineData(0.0, 30, 10, 15, "Breaker:FailureRatio")]
    [InlineData(1.5, 30, 10, 15, "Breaker:FailureRatio")]
    [InlineData(0.5, 0.1, 10, 15, "Breaker:SamplingDurationSeconds")]
    [InlineData(0.5, 30, 1, 15, "Breaker:MinimumThroughput")]
    [InlineData(0.5, 30, 10, 0.2, "Breaker:BreakDurationSeconds")]
    public void Validate_BreakerOutOfRange_FailsNamingTheKey(double ratio, double sampling, int throughput, double breakSeconds, string key)
    {
        var result = Validate(new CircuitBreakerOptions
        {
            FailureRatio = ratio,
            SamplingDurationSeconds = sampling,
            MinimumThroughput = throughput,
            BreakDurationSeconds = breakSeconds,
        });

        result.Failed.ShouldBeTrue();
        result.Failures.ShouldNotBeNull().ShouldContain(f => f.StartsWith("Catalog:Deployments:0:" + key + ":", StringComparison.Ordinal));
    }

    private static Microsoft.Extensions.Options.ValidateOptionsResult Validate(CircuitBreakerOptions breaker) =>
        new CatalogValidator(_ => null).Validate(null, new CatalogOptions
        {
            Deployments = [new DeploymentOptions { Id = "d1", ModelGroup = "g", Breaker = breaker }],
        });
}
