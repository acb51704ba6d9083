using Dispatcher.Catalog;
using Dispatcher.Contracts;
using Dispatcher.Ledger;
using Dispatcher.Quotas;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Dispatcher.Tests.Quotas;

public sealed class DeploymentQuotaLimitModelTests
{
    private static DeploymentOptions Anthropic(bool cachedCounts = false, int? tpm = null) => new()
    {
        Id = "claude", ModelGroup = "g", Provider = ProviderKind.Anthropic,
        Rpm = 100, Tpm = tpm, InputTpm = 1000, OutputTpm = 200, BurstFraction = 1,
        CachedInputCountsTowardLimit = cachedCounts,
    };

    private static DeploymentQuota Quota(DeploymentOptions deployment) => new(deployment, windowSeconds: 60, now: 0);

    [Fact]
    public void Constructor_AnthropicProviderWithoutLimitModel_KeepsInputAndOutputApart()
    {
        var quota = Quota(Anthropic());

        quota.Model.ShouldBe(LimitModel.Anthropic);
        (quota.Rpm, quota.Tpm, quota.InputTpm, quota.OutputTpm).ShouldBe((100, (int?)null, 1000, 200));
    }

    [Fact]
    public void CanAfford_AnthropicInputUsedUp_RefusesThoughOutputHasRoom()
    {
        var quota = Quota(Anthropic());
        quota.Reserve(1, new QuotaTokens(900, 10), 0);

        quota.CanAfford(new QuotaTokens(100, 10), 0).ShouldBeTrue();
        quota.CanAfford(new QuotaTokens(101, 10), 0).ShouldBeFalse("1,000 input tokens a window");
        quota.CanAfford(new QuotaTokens(1, 190), 0).ShouldBeTrue("the output limit is counted apart");
    }

    [Fact]
    public void CanAfford_AnthropicOutputUsedUp_RefusesThoughInputHasRoom()
    {
        var quota = Quota(Anthropic());
        quota.Reserve(1, new QuotaTokens(10, 150), 0);

        quota.CanAfford(new QuotaTokens(10, 50), 0).ShouldBeTrue();
        quota.CanAfford(new QuotaTokens(10, 51), 0).ShouldBeFalse("max_tokens is reserved against 200 output tokens a window");
        quota.CanAfford(new QuotaTokens(900, 1), 0).ShouldBeTrue("the input limit is counted apart");
        quota.SecondsUntilAffordable(new QuotaTokens(10, 51), 0).ShouldBeGreaterThan(0);
    }

    [Fact]
    public void Settle_AnthropicUsage_GivesBackUnusedOutputAndCountsInputAsUsed()
    {
        var quota = Quota(Anthropic());
        quota.Reserve(1, new QuotaTokens(100, 200), 0);
        quota.CanAfford(new QuotaTokens(0, 1), 0).ShouldBeFalse();

        quota.Settle(1, new QuotaTokens(100, 200), new QuotaTokens(300, 50), TimeSpan.Zero, 0);

        quota.CanAfford(new QuotaTokens(700, 150), 0).ShouldBeTrue();
        quota.CanAfford(new QuotaTokens(701, 0), 0).ShouldBeFalse("the call read 300 input tokens, more than its estimate");
        quota.CanAfford(new QuotaTokens(0, 151), 0).ShouldBeFalse("the call wrote 50 output tokens");
    }

    [Fact]
    public void Settle_AnthropicCacheReads_DoNotCountTowardTheInputLimit()
    {
        var quota = Quota(Anthropic());
        quota.Reserve(1, new QuotaTokens(900, 10), 0);

        // 900 prompt tokens, 800 of them read from the cache: 100 count.
        quota.Settle(1, new QuotaTokens(900, 10), new QuotaTokens(900, 10, CachedInput: 800), TimeSpan.Zero, 0);

        quota.CanAfford(new QuotaTokens(900, 0), 0).ShouldBeTrue();
        quota.CanAfford(new QuotaTokens(901, 0), 0).ShouldBeFalse();
        quota.Usage("claude", 0).InputTokens.ShouldNotBeNull().InWindow.ShouldBe(100);
    }

    [Fact]
    public void Settle_AnthropicCachedInputCountsTowardLimit_CountsCacheReads()
    {
        var quota = Quota(Anthropic(cachedCounts: true));
        quota.Reserve(1, new QuotaTokens(900, 10), 0);

        quota.Settle(1, new QuotaTokens(900, 10), new QuotaTokens(900, 10, CachedInput: 800), TimeSpan.Zero, 0);

        quota.CanAfford(new QuotaTokens(101, 0), 0).ShouldBeFalse("an older model counts cache reads too");
        quota.Usage("claude", 0).InputTokens.ShouldNotBeNull().InWindow.ShouldBe(900);
    }

    [Fact]
    public void Settle_AnthropicWithCombinedTpm_KeepsTheCombinedDimensionToo()
    {
        var quota = Quota(Anthropic(tpm: 500));
        quota.Reserve(1, new QuotaTokens(300, 150), 0);

        quota.Tpm.ShouldBe(500);
        quota.CanAfford(new QuotaTokens(40, 10), 0).ShouldBeTrue();
        quota.CanAfford(new QuotaTokens(41, 10), 0).ShouldBeFalse("input plus output may not pass 500 a window");
    }

    [Fact]
    public void Settle_OpenAiCacheReads_CountTowardTheTokenLimit()
    {
        var quota = new DeploymentQuota(rpm: 100, tpm: 1000, burstFraction: 1, windowSeconds: 60, now: 0);
        quota.Reserve(1, new QuotaTokens(500, 100), 0);

        quota.Settle(1, new QuotaTokens(500, 100), new QuotaTokens(500, 100, CachedInput: 400), TimeSpan.Zero, 0);

        quota.CanAfford(400, 0).ShouldBeTrue();
        quota.CanAfford(401, 0).ShouldBeFalse("OpenAI counts cached prompt tokens");
    }

    [Fact]
    public void RequestsPerMinute_AzureWithoutRpm_IsSixPerThousandTokensRoundedDown()
    {
        new DeploymentOptions { LimitModel = LimitModel.Azure, Tpm = 1_000 }.RequestsPerMinute.ShouldBe(6);
        new DeploymentOptions { LimitModel = LimitModel.Azure, Tpm = 450_000 }.RequestsPerMinute.ShouldBe(2_700);
        new DeploymentOptions { LimitModel = LimitModel.Azure, Tpm = 1_999 }.RequestsPerMinute.ShouldBe(11);
        new DeploymentOptions { LimitModel = LimitModel.Azure, Tpm = 100 }.RequestsPerMinute.ShouldBe(1, "at least one");
    }

    [Fact]
    public void CanAfford_AzureDerivedRpm_RefusesTheSeventhRequestOfAThousandTpm()
    {
        var quota = Quota(new DeploymentOptions { Id = "az", ModelGroup = "g", LimitModel = LimitModel.Azure, Tpm = 1_000, BurstFraction = 1 });
        for (var i = 1; i <= 6; i++)
        {
            quota.CanAfford(1, 0).ShouldBeTrue();
            quota.Reserve(i, 1, 0);
        }

        quota.Rpm.ShouldBe(6);
        quota.CanAfford(1, 0).ShouldBeFalse();
    }

    [Fact]
    public void Constructor_AzureExplicitRpm_Wins()
    {
        var deployment = new DeploymentOptions { Id = "az", ModelGroup = "g", LimitModel = LimitModel.Azure, Tpm = 1_000, Rpm = 50 };

        deployment.RequestsPerMinute.ShouldBe(50);
        Quota(deployment).Rpm.ShouldBe(50);
    }

    [Fact]
    public void Constructor_OpenAiDefaults_AreSixHundredAndAMillion()
    {
        var quota = Quota(new DeploymentOptions { Id = "o", ModelGroup = "g" });

        (quota.Model, quota.Rpm, quota.Tpm, quota.InputTpm, quota.MaxConcurrent).ShouldBe((LimitModel.OpenAI, (int?)600, (int?)1_000_000, (int?)null, (int?)null));
    }

    [Fact]
    public void CanAfford_ConcurrencyFull_RefusesUntilAnAttemptSettles()
    {
        var quota = Quota(new DeploymentOptions { Id = "vllm", ModelGroup = "g", LimitModel = LimitModel.Concurrency, MaxConcurrent = 2 });
        quota.Reserve(1, new QuotaTokens(10_000_000, 10_000_000), 0);
        quota.Reserve(2, new QuotaTokens(10, 10), 0);

        quota.CanAfford(1, 0).ShouldBeFalse("two calls are in flight");
        quota.SecondsUntilAffordable(1, 0).ShouldBe(60, "room comes back at a settle");
        quota.Settle(1, new QuotaTokens(10_000_000, 10_000_000), new QuotaTokens(5, 5), TimeSpan.Zero, 1);

        quota.CanAfford(new QuotaTokens(10_000_000, 10_000_000), 1).ShouldBeTrue("no request or token limit is kept");
        (quota.Rpm, quota.Tpm).ShouldBe(((int?)null, (int?)null));
        quota.Usage("vllm", 1).ShouldSatisfyAllConditions(
            u => u.InFlight.ShouldBe(1),
            u => u.MaxConcurrent.ShouldBe(2),
            u => u.RequestsLimit.ShouldBeNull(),
            u => u.TokensLimit.ShouldBeNull());
    }

    [Fact]
    public void Release_Concurrency_FreesTheSlotOnce()
    {
        var quota = Quota(new DeploymentOptions { Id = "vllm", ModelGroup = "g", LimitModel = LimitModel.Concurrency, MaxConcurrent = 1 });
        quota.Reserve(1, 10, 0);
        quota.CanAfford(1, 0).ShouldBeFalse();

        quota.Release(1, 10, 0);
        quota.Release(1, 10, 0);

        quota.CanAfford(1, 0).ShouldBeTrue();
        quota.Reserve(2, 10, 0);
        quota.CanAfford(1, 0).ShouldBeFalse("a second release of the same reservation frees nothing");
    }

    [Fact]
    public void CanAfford_MaxConcurrentOnOpenAiModel_IsAnExtraBound()
    {
        var quota = Quota(new DeploymentOptions { Id = "o", ModelGroup = "g", MaxConcurrent = 1 });
        quota.Reserve(1, 10, 0);

        quota.CanAfford(1, 0).ShouldBeFalse();
        quota.Settle(1, 10, 10, TimeSpan.Zero, 0);
        quota.CanAfford(1, 0).ShouldBeTrue();
    }

    [Fact]
    public void Correct_AnthropicInputAndOutputRemaining_LowersEachBucket()
    {
        var quota = Quota(Anthropic());

        quota.Correct(new RateLimitSnapshot(null, null, null, null, RemainingInputTokens: 300, RemainingOutputTokens: 40), null, 0);

        quota.CanAfford(new QuotaTokens(300, 40), 0).ShouldBeTrue();
        quota.CanAfford(new QuotaTokens(301, 0), 0).ShouldBeFalse();
        quota.CanAfford(new QuotaTokens(0, 41), 0).ShouldBeFalse();
    }

    [Fact]
    public void Correct_RemainingAboveOurLevel_NeverRaisesIt()
    {
        var quota = Quota(Anthropic());
        quota.Reserve(1, new QuotaTokens(900, 150), 0);

        quota.Correct(new RateLimitSnapshot(null, null, null, null, RemainingInputTokens: 1000, RemainingOutputTokens: 200), null, 0);

        quota.CanAfford(new QuotaTokens(101, 0), 0).ShouldBeFalse();
        quota.CanAfford(new QuotaTokens(0, 51), 0).ShouldBeFalse();
    }

    [Fact]
    public void Restore_AnthropicLevels_RoundTripThroughTheBook()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2030-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var catalog = Options.Create(new CatalogOptions { Deployments = [Anthropic()] });
        var before = new QuotaBook(catalog, time);
        before.Reserve("claude", new QuotaTokens(600, 150));

        var saved = before.Levels().Single();
        saved.InputTokens.ShouldBe(400);
        saved.OutputTokens.ShouldBe(50);
        var after = new QuotaBook(catalog, time);
        after.Restore([saved]);

        after["claude"].CanAfford(new QuotaTokens(400, 50), after.Now).ShouldBeTrue();
        after["claude"].CanAfford(new QuotaTokens(401, 0), after.Now).ShouldBeFalse();
        after["claude"].CanAfford(new QuotaTokens(0, 51), after.Now).ShouldBeFalse();
    }

    [Fact]
    public void Seed_AnthropicAttemptWithCacheReads_CountsOnlyUncachedInput()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2030-01-01T00:01:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var book = new QuotaBook(Options.Create(new CatalogOptions { Deployments = [Anthropic()] }), time);
        var at = time.GetUtcNow().AddSeconds(-10).ToString("O", System.Globalization.CultureInfo.InvariantCulture);

        book.Seed([new RecentAttempt { DeploymentId = "claude", DispatchedAt = at, RecordedAt = at, InputTokens = 900, OutputTokens = 150, CachedTokens = 700 }]);

        var usage = book.Usage().Single();
        usage.InputTokens.ShouldNotBeNull().InWindow.ShouldBe(200);
        usage.OutputTokens.ShouldNotBeNull().InWindow.ShouldBe(150);
    }
}
