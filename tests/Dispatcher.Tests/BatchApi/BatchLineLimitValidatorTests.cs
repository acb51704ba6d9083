using Dispatcher.BatchApi;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Dispatcher.Tests.BatchApi;

public sealed class BatchLineLimitValidatorTests
{
    private static BatchApiOptions Resolve(string? maxLineBytes)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Batches:MaxLineBytes"] = maxLineBytes })
            .Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration);
        services.AddBatchApi();
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<BatchApiOptions>>().Value;
    }

    [Theory]
    [InlineData("64MB")]
    [InlineData("0")]
    [InlineData("67108865")]
    public void Validate_MaxLineBytesNotAWholeNumberInRange_FailsNamingTheKey(string value)
    {
        var failure = Should.Throw<OptionsValidationException>(() => Resolve(value));

        failure.Message.ShouldContain("Batches:MaxLineBytes");
        failure.Message.ShouldContain($"got \"{value}\"");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("67108864")]
    public void Validate_MaxLineBytesUnsetOrInRange_Passes(string? value) =>
        Resolve(value).KeyVariable.ShouldBe("DISPATCHER_API_KEY");
}
