using Dispatcher.Submitter.Hosting;

namespace Dispatcher.Submitter.Tests.Hosting;

/// <summary>The lock a run holds on its ledger, and the look other commands take at it.</summary>
public sealed class LedgerRunLockTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "run-lock-" + Guid.NewGuid().ToString("N"));

    public LedgerRunLockTests() => Directory.CreateDirectory(_folder);

    private string Ledger => Path.Combine(_folder, "ledger.db");

    [Fact]
    public void IsHeld_WhileARunHoldsIt_True()
    {
        using var run = LedgerRunLock.TryTake(Ledger);

        run.ShouldNotBeNull();
        LedgerRunLock.IsHeld(Ledger).ShouldBeTrue();
        LedgerRunLock.IsHeld(Ledger).ShouldBeTrue("looking does not take it away");
    }

    [Fact]
    public void IsHeld_AfterTheRunEnded_FalseAndLeavesItFreeForTheNextRun()
    {
        LedgerRunLock.TryTake(Ledger)!.Dispose();

        LedgerRunLock.IsHeld(Ledger).ShouldBeFalse();
        using var next = LedgerRunLock.TryTake(Ledger);
        next.ShouldNotBeNull("the look let go of the lock");
    }

    [Fact]
    public void IsHeld_NoRunEver_FalseAndCreatesNoLockFile()
    {
        LedgerRunLock.IsHeld(Ledger).ShouldBeFalse();

        File.Exists(LedgerRunLock.PathFor(Ledger)).ShouldBeFalse();
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
