using Dispatcher.Quotas;

namespace Dispatcher.Tests.Quotas;

public sealed class TokenBucketTests
{
    [Fact]
    public void TryTake_NewBucket_AllowsCapacityThenRefuses()
    {
        var bucket = new TokenBucket(capacity: 10, ratePerSecond: 1, now: 0);

        bucket.TryTake(6, 0).ShouldBeTrue();
        bucket.TryTake(4, 0).ShouldBeTrue();
        bucket.TryTake(1, 0).ShouldBeFalse();
    }

    [Fact]
    public void Level_AfterTime_RefillsContinuouslyUpToCapacity()
    {
        var bucket = new TokenBucket(10, 2, 0);
        bucket.TryTake(10, 0);

        bucket.Level(1.5).ShouldBe(3, 1e-9);
        bucket.Level(100).ShouldBe(10);
    }

    [Fact]
    public void SecondsUntil_EmptyBucket_SaysWhenTheAmountRefills()
    {
        var bucket = new TokenBucket(10, 4, 0);
        bucket.TryTake(10, 0);

        bucket.SecondsUntil(6, 0).ShouldBe(1.5, 1e-9);
        bucket.TryTake(6, 1.49).ShouldBeFalse();
        bucket.TryTake(6, 1.5).ShouldBeTrue();
    }

    [Fact]
    public void TryTake_MoreThanCapacity_AllowedFromFullBucketAsDebt()
    {
        var bucket = new TokenBucket(10, 1, 0);

        bucket.TryTake(25, 0).ShouldBeTrue();

        bucket.Level(0).ShouldBe(-15);
        bucket.SecondsUntil(1, 0).ShouldBe(16, 1e-9);
    }

    [Fact]
    public void Return_Refund_NeverExceedsCapacity()
    {
        var bucket = new TokenBucket(10, 1, 0);
        bucket.TryTake(4, 0);

        bucket.Return(3, 0);
        bucket.Level(0).ShouldBe(9);
        bucket.Return(30, 0);
        bucket.Level(0).ShouldBe(10);
    }

    [Fact]
    public void Charge_Overage_LeavesDebtPaidByRefill()
    {
        var bucket = new TokenBucket(10, 5, 0);
        bucket.TryTake(10, 0);

        bucket.Charge(5, 0);

        bucket.Level(0).ShouldBe(-5);
        bucket.Level(2).ShouldBe(5, 1e-9);
    }

    [Fact]
    public void LowerTo_ProviderSaysLess_OnlyLowers()
    {
        var bucket = new TokenBucket(10, 1, 0);

        bucket.LowerTo(3, 0);
        bucket.Level(0).ShouldBe(3);
        bucket.LowerTo(8, 0);
        bucket.Level(0).ShouldBe(3);
    }

    [Fact]
    public void Restore_SavedLevel_RefillsForTimeSinceSaving()
    {
        var bucket = new TokenBucket(100, 10, 0);

        bucket.Restore(level: 5, secondsSince: 2, now: 0);

        bucket.Level(0).ShouldBe(25, 1e-9);
        bucket.TryTake(30, 0).ShouldBeFalse();
    }
}
