using Dispatcher.Catalog.Availability;
using Dispatcher.Catalog.Rules;
using Dispatcher.Tests.Support;

namespace Dispatcher.Catalog.Tests.Availability;

public sealed class AvailabilityValidationTests
{
    private static IReadOnlyList<string> Errors(CatalogOptions options) =>
        new CatalogValidator(_ => null).Validate(null, options).Failures?.ToList() ?? [];

    private static CatalogOptions WithDeploymentWindow(AvailabilityWindowOptions window)
    {
        var windowed = Catalogs.Deployment("night");
        windowed.Availability = [new AvailabilityWindowOptions { From = "09:00", To = "17:00" }, window];
        return new CatalogOptions { Deployments = [Catalogs.Deployment("a1"), windowed] };
    }

    [Fact]
    public void Validate_GoodWindows_Succeeds() =>
        Errors(WithDeploymentWindow(new AvailabilityWindowOptions { Days = ["Sat", "sunday"], From = "22:00:30", To = "24:00", TimeZone = "America/New_York" }))
            .ShouldBeEmpty();

    [Fact]
    public void Validate_UnknownTimeZone_NamesTheKey() =>
        Errors(WithDeploymentWindow(new AvailabilityWindowOptions { From = "22:00", To = "06:00", TimeZone = "Europe/Atlantis" }))
            .ShouldContain(e => e.StartsWith("Catalog:Deployments:1:Availability:1:TimeZone: unknown time zone 'Europe/Atlantis'", StringComparison.Ordinal));

    [Theory]
    [InlineData("7:00")]
    [InlineData("25:00")]
    [InlineData("12:60")]
    [InlineData("24:00")]
    [InlineData("noon")]
    [InlineData("")]
    public void Validate_MalformedFrom_NamesTheKey(string from) =>
        Errors(WithDeploymentWindow(new AvailabilityWindowOptions { From = from, To = "06:00" }))
            .ShouldContain(e => e.StartsWith("Catalog:Deployments:1:Availability:1:From: ", StringComparison.Ordinal));

    [Fact]
    public void Validate_MalformedTo_NamesTheKey() =>
        Errors(WithDeploymentWindow(new AvailabilityWindowOptions { From = "22:00", To = "06:00:61" }))
            .ShouldContain(e => e.StartsWith("Catalog:Deployments:1:Availability:1:To: '06:00:61' is not a local time", StringComparison.Ordinal));

    [Fact]
    public void Validate_FromEqualsTo_NamesTheKey() =>
        Errors(WithDeploymentWindow(new AvailabilityWindowOptions { From = "08:00", To = "08:00:00" }))
            .ShouldContain(e => e.StartsWith("Catalog:Deployments:1:Availability:1:To: equals From", StringComparison.Ordinal));

    [Fact]
    public void Validate_UnknownDay_NamesTheKey() =>
        Errors(WithDeploymentWindow(new AvailabilityWindowOptions { Days = ["Mon", "Funday"], From = "22:00", To = "06:00" }))
            .ShouldContain(e => e.StartsWith("Catalog:Deployments:1:Availability:1:Days:1: unknown day 'Funday'", StringComparison.Ordinal));

    [Fact]
    public void Validate_NumericDay_IsUnknown() =>
        Errors(WithDeploymentWindow(new AvailabilityWindowOptions { Days = ["3"], From = "22:00", To = "06:00" }))
            .ShouldContain(e => e.StartsWith("Catalog:Deployments:1:Availability:1:Days:0: unknown day '3'", StringComparison.Ordinal));

    [Fact]
    public void Validate_RuleWindow_NamesTheRuleKey()
    {
        var options = new CatalogOptions
        {
            Deployments = [Catalogs.Deployment("a1"), Catalogs.Deployment("a2")],
            ModelGroups =
            [
                new ModelGroupOptions
                {
                    Name = "g",
                    Rules = [new RoutingRuleOptions { Deployments = ["a2"], Availability = [new AvailabilityWindowOptions { From = "22:00", To = "06:00", TimeZone = "Mars/Olympus" }] }],
                },
            ],
        };

        Errors(options).ShouldContain(e => e.StartsWith("Catalog:ModelGroups:0:Rules:0:Availability:0:TimeZone: unknown time zone", StringComparison.Ordinal));
    }
}
