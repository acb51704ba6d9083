using Dispatcher.Submitter.Batches;

namespace Dispatcher.Submitter.Tests.Batches;

public sealed class BatchFileLimitsTests
{
    [Fact]
    public void Default_NothingSet_HasOneMebibyteLinesAndTwentyErrors()
    {
        BatchFileLimits.Default.MaxLineBytes.ShouldBe(1024 * 1024);
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
    public void MaxErrors_Zero_Throws()
    {
        Should.Throw<ArgumentOutOfRangeException>(() => BatchFileLimits.Default with { MaxErrors = 0 });
    }
}
