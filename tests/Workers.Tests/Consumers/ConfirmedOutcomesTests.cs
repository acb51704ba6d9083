using System.Text.Json;
using Dispatcher.Contracts;
using Dispatcher.Workers.Consumers;

namespace Dispatcher.Workers.Tests.Consumers;

public sealed class ConfirmedOutcomesTests
{
    private static readonly JsonElement Body = JsonDocument.Parse("{}").RootElement.Clone();

    [Fact]
    public void Contains_SameSendOnly_OtherReservationOrAttemptIsNotKnown()
    {
        var confirmed = new ConfirmedOutcomes();
        var job = Guid.NewGuid();
        confirmed.Add(Outcome(job, attempt: 1, quotaSeq: 5));

        confirmed.Contains(Work(job, 1, 5)).ShouldBeTrue();
        confirmed.Contains(Work(job, 1, 6)).ShouldBeFalse("a resend under a new reservation must run and report for it");
        confirmed.Contains(Work(job, 2, 5)).ShouldBeFalse();
        confirmed.Contains(Work(Guid.NewGuid(), 1, 5)).ShouldBeFalse();
    }

    [Fact]
    public void Add_BeyondCapacity_ForgetsTheOldest()
    {
        var confirmed = new ConfirmedOutcomes();
        var first = Guid.NewGuid();
        confirmed.Add(Outcome(first, 1, 1));
        for (var i = 0; i < ConfirmedOutcomes.Capacity; i++)
        {
            confirmed.Add(Outcome(Guid.NewGuid(), 1, 1));
        }

        confirmed.Contains(Work(first, 1, 1)).ShouldBeFalse();
    }

    private static CompletionWork Work(Guid job, int attempt, long quotaSeq) => new(job, "d1", attempt, Body, 1, 1, QuotaSeq: quotaSeq);

    private static CompletionAttempted Outcome(Guid job, int attempt, long quotaSeq) =>
        new(job, "d1", attempt, ErrorKind.None, 200, null, null, 1, QuotaSeq: quotaSeq);
}
