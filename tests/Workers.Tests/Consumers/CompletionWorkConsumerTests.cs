using System.Text.Json;
using Dispatcher.Contracts;
using Dispatcher.Workers.Providers;
using Dispatcher.Workers.Tests.Providers;

namespace Dispatcher.Workers.Tests.Consumers;

public sealed class CompletionWorkConsumerTests
{
    private static readonly JsonElement Body = JsonDocument.Parse("""{"model":"m","messages":[{"role":"user","content":"hi"}]}""").RootElement.Clone();
    private static readonly ProviderOutcome Success = new(ErrorKind.None, 200, JsonDocument.Parse("{}").RootElement.Clone(), new TokenUsage(1, 1));

    [Fact]
    public async Task Consume_OneAttemptOfPackThrows_ReportsEveryOutcomeAndClassifiesTheThrowingOne()
    {
        var failing = Guid.NewGuid();
        var client = new ScriptedProviderClient((request, _) => request.JobId == failing
            ? Task.FromException<ProviderOutcome>(new InvalidOperationException("the adapter tripped over an answer"))
            : Task.FromResult(Success));
        await using var worker = await WorkerBus.StartAsync(client);
        CompletionWork[] work = [Work(Guid.NewGuid()), Work(failing), Work(Guid.NewGuid())];

        await worker.SendAsync(new CompletionWorkPack(work));
        var outcomes = await worker.WaitForOutcomesAsync(3);

        outcomes.Select(o => o.JobId).ShouldBe(work.Select(w => w.JobId), ignoreOrder: true);
        outcomes.Where(o => o.JobId != failing).ShouldAllBe(o => o.Error == ErrorKind.None);
        var fault = outcomes.Single(o => o.JobId == failing);
        fault.Error.ShouldBe(ErrorKind.WorkerFault);
        fault.ErrorMessage.ShouldNotBeNull().ShouldContain("System.InvalidOperationException: the adapter tripped over an answer");
        (await worker.Harness.Consumed.Any<CompletionWorkPack>()).ShouldBeTrue();
        worker.Harness.Consumed.Select<CompletionWorkPack>().ShouldAllBe(c => c.Exception == null);
        client.Calls.ShouldBe(3);
    }

    [Fact]
    public async Task Consume_BodyIsNotAnObject_ReportsInvalidRequestWithoutCalling()
    {
        var client = ScriptedProviderClient.Returning(Success);
        await using var worker = await WorkerBus.StartAsync(client);
        var broken = Work(Guid.NewGuid()) with { Body = JsonDocument.Parse("[1, 2]").RootElement.Clone() };

        await worker.SendAsync(new CompletionWorkPack([broken, Work(Guid.NewGuid())]));
        var outcomes = await worker.WaitForOutcomesAsync(2);

        var refused = outcomes.Single(o => o.JobId == broken.JobId);
        refused.Error.ShouldBe(ErrorKind.InvalidRequest);
        refused.ErrorMessage.ShouldNotBeNull().ShouldContain("body");
        outcomes.Single(o => o.JobId != broken.JobId).Error.ShouldBe(ErrorKind.None);
        client.Calls.ShouldBe(1);
    }

    [Fact]
    public async Task Consume_OutcomeSendFailsOnce_ReportsEveryOutcomeWithoutCallingAgain()
    {
        var client = ScriptedProviderClient.Returning(Success);
        await using var worker = await WorkerBus.StartAsync(client, failSends: 1);
        CompletionWork[] work = [Work(Guid.NewGuid()), Work(Guid.NewGuid()), Work(Guid.NewGuid())];

        await worker.SendAsync(new CompletionWorkPack(work));
        var outcomes = await worker.WaitForOutcomesAsync(3);

        outcomes.Select(o => o.JobId).ShouldBe(work.Select(w => w.JobId), ignoreOrder: true);
        client.Calls.ShouldBe(3, "a retried message sends the outcomes it has, it does not call the provider again");
    }

    [Fact]
    public async Task Consume_PackDeliveredAgainAfterItsOutcomesWereConfirmed_CallsOnlyWhatItHasNotReported()
    {
        var client = ScriptedProviderClient.Returning(Success);
        await using var worker = await WorkerBus.StartAsync(client);
        CompletionWork[] work = [Work(Guid.NewGuid()) with { QuotaSeq = 7 }, Work(Guid.NewGuid()) with { QuotaSeq = 8 }];
        await worker.SendAsync(new CompletionWorkPack(work));
        await worker.WaitForOutcomesAsync(2);

        // The same pack again, as the broker delivers it after the channel that held it closed, with
        // an attempt this process never ran and a resend of the first under a new reservation.
        var resent = work[0] with { QuotaSeq = 9 };
        await worker.SendAsync(new CompletionWorkPack([.. work, Work(Guid.NewGuid()), resent]));
        var outcomes = await worker.WaitForOutcomesAsync(4);

        client.Calls.ShouldBe(4, "the two attempts already reported are not called again; the new one and the resend are");
        outcomes.Count(o => o.JobId == work[0].JobId && o.QuotaSeq == 9).ShouldBe(1, "the resend reports under its own reservation");
    }

    private static CompletionWork Work(Guid jobId) => new(jobId, WorkerBus.Deployment.Id, 1, Body, 4, 16);
}
