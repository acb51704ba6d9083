using Dispatcher.Contracts;
using Dispatcher.Quotas;

namespace Dispatcher.Tests.Quotas;

public sealed class DeploymentQuotaTests
{
    [Fact]
    public void Settle_UsedLessThanReserved_RefundsTokens()
    {
        var quota = new DeploymentQuota(rpm: 100, tpm: 1000, burstFraction: 1, windowSeconds: 60, now: 0);
        quota.Reserve(1, 900, 0);
        quota.CanAfford(500, 0).ShouldBeFalse();

        quota.Settle(1, reservedTokens: 900, actualTokens: 300, now: 0);

        quota.CanAfford(700, 0).ShouldBeTrue();
        quota.CanAfford(701, 0).ShouldBeFalse();
        quota.InFlight.ShouldBe(0);
    }

    [Fact]
    public void Settle_FailedCall_ReleasesTokensButCountsTheRequest()
    {
        var quota = new DeploymentQuota(rpm: 2, tpm: 1000, burstFraction: 1, windowSeconds: 60, now: 0);
        quota.Reserve(1, 1000, 0);

        quota.Settle(1, 1000, 0, 0);

        quota.CanAfford(1000, 0).ShouldBeTrue();
        quota.Reserve(2, 10, 0);
        quota.CanAfford(1, 0).ShouldBeFalse(); // two requests in the window already
    }

    [Fact]
    public void Settle_UsedMoreThanReserved_ChargesTheOverage()
    {
        var quota = new DeploymentQuota(rpm: 100, tpm: 1000, burstFraction: 1, windowSeconds: 60, now: 0);
        quota.Reserve(1, 100, 0);

        quota.Settle(1, 100, 400, 0);

        quota.CanAfford(600, 0).ShouldBeTrue();
        quota.CanAfford(601, 0).ShouldBeFalse();
    }

    [Fact]
    public void Correct_RetryAfter_PausesTheDeployment()
    {
        var quota = new DeploymentQuota(100, 1000, 1, 60, 0);

        quota.Correct(null, TimeSpan.FromSeconds(5), 10);

        quota.CanAfford(1, 14.9).ShouldBeFalse();
        quota.SecondsUntilAffordable(1, 11).ShouldBe(4, 1e-9);
        quota.CanAfford(1, 15).ShouldBeTrue();
    }

    [Fact]
    public void Correct_ProviderRemainingTokens_LowersOurBucket()
    {
        var quota = new DeploymentQuota(100, 1000, 1, 60, 0);

        quota.Correct(new RateLimitSnapshot(null, 50, null, null), null, 0);

        quota.CanAfford(50, 0).ShouldBeTrue();
        quota.CanAfford(51, 0).ShouldBeFalse();
    }

    [Fact]
    public void CanAfford_SmallBurst_SpreadsAdmissionsButKeepsTheRate()
    {
        // 60 requests a minute, 10% burst: 6 at once, then one a second.
        var quota = new DeploymentQuota(60, 1_000_000, 0.1, 60, 0);
        var admitted = 0;
        for (var i = 0; i < 10; i++)
        {
            if (quota.CanAfford(1, 0))
            {
                quota.Reserve(i, 1, 0);
                admitted++;
            }
        }

        admitted.ShouldBe(6);
        quota.SecondsUntilAffordable(1, 0).ShouldBe(1, 1e-9);
    }
}
