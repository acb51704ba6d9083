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

        quota.Settle(1, reservedTokens: 900, actualTokens: 300, sinceReceived: TimeSpan.Zero, now: 0);

        quota.CanAfford(700, 0).ShouldBeTrue();
        quota.CanAfford(701, 0).ShouldBeFalse();
        quota.InFlight.ShouldBe(0);
    }

    [Fact]
    public void Settle_FailedCall_ReleasesTokensButCountsTheRequest()
    {
        var quota = new DeploymentQuota(rpm: 2, tpm: 1000, burstFraction: 1, windowSeconds: 60, now: 0);
        quota.Reserve(1, 1000, 0);

        quota.Settle(1, 1000, 0, TimeSpan.Zero, 0);

        quota.CanAfford(1000, 0).ShouldBeTrue();
        quota.Reserve(2, 10, 0);
        quota.CanAfford(1, 0).ShouldBeFalse(); // two requests in the window already
    }

    [Fact]
    public void Settle_UsedMoreThanReserved_ChargesTheOverage()
    {
        var quota = new DeploymentQuota(rpm: 100, tpm: 1000, burstFraction: 1, windowSeconds: 60, now: 0);
        quota.Reserve(1, 100, 0);

        quota.Settle(1, 100, 400, TimeSpan.Zero, 0);

        quota.CanAfford(600, 0).ShouldBeTrue();
        quota.CanAfford(601, 0).ShouldBeFalse();
    }

    [Fact]
    public void Reserve_NotSettled_HoldsTheRequestBeyondTheWindow()
    {
        var quota = new DeploymentQuota(rpm: 1, tpm: 1000, burstFraction: 1, windowSeconds: 60, now: 0);
        quota.Reserve(1, 10, 0);

        quota.CanAfford(1, 100).ShouldBeFalse("the call may not have reached the provider yet");
        quota.SecondsUntilAffordable(1, 100).ShouldBe(60, 1e-9);
        quota.InFlight.ShouldBe(1);
    }

    [Fact]
    public void Settle_ReceivedEarlier_CountsTheCallFromItsReceipt()
    {
        var quota = new DeploymentQuota(rpm: 1, tpm: 1000, burstFraction: 1, windowSeconds: 60, now: 0);
        quota.Reserve(1, 10, 0);

        quota.Settle(1, 10, 10, sinceReceived: TimeSpan.FromSeconds(20), now: 100);

        quota.InFlight.ShouldBe(0);
        quota.SecondsUntilAffordable(1, 100).ShouldBe(40, 1e-9);
        quota.CanAfford(1, 139.9).ShouldBeFalse();
        quota.CanAfford(1, 140).ShouldBeTrue();
    }

    [Fact]
    public void Settle_TokensUsed_TokenWindowHoldsWhatTheCallUsed()
    {
        var quota = new DeploymentQuota(rpm: 100, tpm: 1000, burstFraction: 1, windowSeconds: 60, now: 0);
        quota.Reserve(1, 900, 0);

        quota.Settle(1, 900, 250, TimeSpan.FromSeconds(1), 2);

        quota.TokenHeadroom(60.9).ShouldBe(0.75, 1e-9);
        quota.TokenHeadroom(61).ShouldBe(1, 1e-9);
    }

    [Fact]
    public void Settle_SequenceNotHeld_CountsTheCallAndLeavesInFlightAlone()
    {
        var quota = new DeploymentQuota(rpm: 2, tpm: 1000, burstFraction: 1, windowSeconds: 60, now: 0);
        quota.Reserve(5, 100, 0);

        quota.Settle(3, 100, 0, TimeSpan.Zero, 1); // reserved by the process before a restart
        quota.Settle(0, 100, 0, TimeSpan.Zero, 1); // a job with no reservation recorded

        quota.InFlight.ShouldBe(1);
        var usage = quota.Usage("d", 1);
        usage.RequestsInWindow.ShouldBe(2, "the open reservation and the earlier process's call; the seed counted the one with no reservation");
        usage.TokensInWindow.ShouldBe(100);
    }

    [Fact]
    public void Release_CallNeverSent_GivesEverythingBack()
    {
        var quota = new DeploymentQuota(rpm: 1, tpm: 1000, burstFraction: 1, windowSeconds: 60, now: 0);
        quota.Reserve(1, 1000, 0);

        quota.Release(1, 1000, 0);

        quota.InFlight.ShouldBe(0);
        quota.CanAfford(1000, 0).ShouldBeTrue();
        quota.Release(1, 1000, 0);
        quota.Reserve(2, 1000, 0);
        quota.CanAfford(1, 0).ShouldBeFalse("a second release of the same reservation gives nothing back");
    }

    [Fact]
    public void Seed_AttemptSentBeforeRestart_CountsFromWhenItWasSent()
    {
        var quota = new DeploymentQuota(rpm: 1, tpm: 1000, burstFraction: 1, windowSeconds: 60, now: 100);

        quota.Seed(50, secondsSinceReceived: 30, now: 100);

        quota.InFlight.ShouldBe(0);
        quota.CanAfford(1, 129.9).ShouldBeFalse();
        quota.CanAfford(1, 130).ShouldBeTrue();
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
    public void Correct_ShorterRetryAfterDuringAPause_KeepsTheLongerPauseAndItsReason()
    {
        var quota = new DeploymentQuota(100, 1000, 1, 60, 0);

        quota.Correct(null, TimeSpan.FromSeconds(30), 10, 429);
        quota.Correct(null, TimeSpan.FromSeconds(0.5), 12, 503);

        quota.PausedForSeconds(12).ShouldBe(28, 1e-9);
        quota.PauseReasonAt(12).ShouldBe("429 Retry-After 30 s");
        quota.PauseReasonAt(40).ShouldBeNull();
        quota.Usage("d", 12).PausedForSeconds.ShouldBe(28, 1e-9);
    }

    [Fact]
    public void Correct_RetryAfterLongerThanADay_PausesADay()
    {
        var quota = new DeploymentQuota(100, 1000, 1, 60, 0);

        quota.Correct(null, TimeSpan.MaxValue, 10);

        quota.CanAfford(1, 86_409).ShouldBeFalse();
        quota.CanAfford(1, 86_410).ShouldBeTrue();
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
