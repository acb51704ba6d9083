using Dispatcher.Batches;

namespace Dispatcher.Submitter.Tests.Batches;

public sealed class SeenIdsTests
{
    [Fact]
    public void CheckAndAdd_SameHashTwice_SecondIsSeen()
    {
        var seen = new SeenIds();

        seen.CheckAndAdd(0x1234_5678_9abc_def0).ShouldBeFalse();
        seen.CheckAndAdd(0x1234_5678_9abc_def0).ShouldBeTrue();
    }

    [Fact]
    public void CheckAndAdd_MillionDistinctIds_AlmostNoFalseHits()
    {
        var seen = new SeenIds();
        var falseHits = 0;
        for (var i = 0; i < 1_000_000; i++)
        {
            if (seen.CheckAndAdd(Fnv1a64.Hash(System.Text.Encoding.UTF8.GetBytes("request-" + i))))
            {
                falseHits++;
            }
        }

        falseHits.ShouldBeLessThan(50);
    }
}
