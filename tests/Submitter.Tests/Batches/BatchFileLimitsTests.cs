using Microsoft.Extensions.Configuration;
using Dispatcher.Batches;

namespace Dispatcher.Submitter.Tests.Batches;

public sealed class BatchFileLimitsTests
{
    [Fact]
    public void Default_NothingSet_Has32MebibyteLinesAndTwentyErrors()
    {
        BatchFileLimits.Default.MaxLineBytes.ShouldBe(32 * 1024 * 1024);
        BatchFileLimits.Default.MaxErrors.ShouldBe(20);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(BatchFileLimits.MaxSupportedLineBytes + 1)]
    public void MaxLineBytes_OutOfRange_Throws(int value)
    {
        Should.Throw<ArgumentOutOfRangeException>(() => new BatchFileLimits { MaxLineBytes = value });
    }

    [Fact]
    public void From_KeySet_UsesIt()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Batches:MaxLineBytes"] = "2048" }).Build();

        BatchFileLimits.From(configuration).MaxLineBytes.ShouldBe(2048);
        BatchFileLimits.From(new ConfigurationBuilder().Build()).ShouldBe(BatchFileLimits.Default);
    }

    [Theory]
    [InlineData("lots")]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("67108865")]
    public void From_BadValue_NamesTheKey(string value)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Batches:MaxLineBytes"] = value }).Build();

        Should.Throw<ArgumentException>(() => BatchFileLimits.From(configuration)).Message.ShouldContain("Batches:MaxLineBytes");
    }

    [Fact]
    public void MaxErrors_Zero_Throws()
    {
        Should.Throw<ArgumentOutOfRangeException>(() => BatchFileLimits.Default with { MaxErrors = 0 });
    }
}
