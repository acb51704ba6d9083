using Dispatcher.ServiceDefaults.Shutdown;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Dispatcher.ServiceDefaults.Tests.Shutdown;

public sealed class ShutdownServicesTests
{
    [Fact]
    public void AddShutdownGrace_Default_HostAndBusStopWithinTenSeconds()
    {
        using var services = Build([]);

        services.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout.ShouldBe(TimeSpan.FromSeconds(10));
        var bus = services.GetRequiredService<IOptions<MassTransitHostOptions>>().Value;
        bus.ConsumerStopTimeout.ShouldBe(TimeSpan.FromSeconds(5));
        bus.StopTimeout.ShouldBe(TimeSpan.FromSeconds(7.5));
    }

    [Fact]
    public void AddShutdownGrace_GracePeriodConfigured_AppliesToHostAndBus()
    {
        using var services = Build(new() { ["Shutdown:GracePeriod"] = "00:00:04" });

        services.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout.ShouldBe(TimeSpan.FromSeconds(4));
        var bus = services.GetRequiredService<IOptions<MassTransitHostOptions>>().Value;
        bus.ConsumerStopTimeout.ShouldBe(TimeSpan.FromSeconds(2));
        bus.StopTimeout.ShouldBe(TimeSpan.FromSeconds(3));
    }

    [Theory]
    [InlineData("00:00:00")]
    [InlineData("-00:00:01")]
    [InlineData("00:05:01")]
    public void AddShutdownGrace_GracePeriodOutOfRange_FailsNamingTheKey(string value)
    {
        using var services = Build(new() { ["Shutdown:GracePeriod"] = value });

        var error = Should.Throw<OptionsValidationException>(() => services.GetRequiredService<IOptions<ShutdownOptions>>().Value);
        error.Message.ShouldContain("Shutdown:GracePeriod");
    }

    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddShutdownGrace();
        services.AddShutdownGrace(); // a second call (a host composing two roles) changes nothing
        return services.BuildServiceProvider();
    }
}
