using System.Security.Cryptography;
using System.Text.Json;
using Dispatcher.BatchApi;
using Dispatcher.Ledger;
using Dispatcher.Tests.Support;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Dispatcher.Tests.BatchApi;

/// <summary>
/// What every store of the Batch API must do alike, driven through <see cref="FileStore"/> as the API
/// drives it, by two processes on one store (<see cref="OpenAsync"/>): a file added through one is
/// found, listed and read whole through the other, and a batch's results are produced once.
/// </summary>
public abstract class ApiStoreContractTests : IAsyncLifetime
{
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    private readonly List<IApiStore> _opened = [];

    protected TempDirectory Dir { get; } = new();

    protected FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));

    /// <summary>The first process's store and files, and its own folder.</summary>
    private protected (IApiStore Store, FileStore Files, ApiFolder Folder) First { get; private set; }

    /// <summary>The second process's, on the same store.</summary>
    private protected (IApiStore Store, FileStore Files, ApiFolder Folder) Second { get; private set; }

    public async Task InitializeAsync()
    {
        First = await ProcessAsync("first");
        Second = await ProcessAsync("second");
    }

    public virtual async Task DisposeAsync()
    {
        foreach (var store in _opened.Distinct())
        {
            if (store is IAsyncDisposable disposable)
            {
                await disposable.DisposeAsync();
            }
        }

        Dir.Dispose();
    }

    /// <summary>
    /// The store the process named <paramref name="process"/> opens (its Batch API folder beside the
    /// ledger path <paramref name="ledgerPath"/>), initialized.
    /// </summary>
    private protected abstract Task<IApiStore> OpenAsync(string process, ApiFolder folder);

    /// <summary>The ledger path of the process named <paramref name="process"/>: what decides its local folder.</summary>
    protected abstract string LedgerPath(string process);

    private protected async Task<FileObject> AddAsync(FileStore files, ApiFolder folder, TimeSpan? expiresAfter = null, byte[]? content = null)
    {
        var temporary = folder.TemporaryPath();
        await File.WriteAllBytesAsync(temporary, content ?? "{}\n"u8.ToArray());
        return await files.AddAsync(temporary, "in.jsonl", FileObject.BatchPurpose, default, expiresAfter);
    }

    [Fact]
    public async Task AddAsync_LargerThanAChunk_FoundListedAndReadWholeThroughTheOtherProcess()
    {
        var content = new byte[(PostgresApiStore.ChunkBytes * 5 / 2) + 7];
        new Random(1).NextBytes(content);

        var file = await AddAsync(First.Files, First.Folder, content: content);

        var found = (await Second.Files.GetAsync(file.Id, default)).ShouldNotBeNull();
        (found.Bytes, found.Filename, found.Purpose, found.CreatedAt).ShouldBe((content.LongLength, "in.jsonl", FileObject.BatchPurpose, Time.GetUtcNow().ToUnixTimeSeconds()));
        (await Second.Files.ListAsync(null, default)).Select(f => f.Id).ShouldBe([file.Id]);
        using (var local = await Second.Files.LocalAsync(found, default))
        {
            SHA256.HashData(await File.ReadAllBytesAsync(local.Path)).ShouldBe(SHA256.HashData(content));
        }

        using var copy = new MemoryStream();
        await Second.Store.CopyContentAsync(file.Id, copy, default);
        copy.ToArray().ShouldBe(content);
    }

    [Fact]
    public async Task ListAsync_ByPurposeNewestFirst_LeavesOutExpiredFiles()
    {
        var old = await AddAsync(First.Files, First.Folder);
        Time.Advance(TimeSpan.FromSeconds(5));
        var expiring = await AddAsync(Second.Files, Second.Folder, Hour);
        Time.Advance(TimeSpan.FromSeconds(5));
        var newest = await AddAsync(First.Files, First.Folder);

        (await Second.Files.ListAsync(FileObject.BatchPurpose, default)).Select(f => f.Id).ShouldBe([newest.Id, expiring.Id, old.Id]);
        (await Second.Files.ListAsync(FileObject.BatchOutputPurpose, default)).ShouldBeEmpty();

        Time.Advance(Hour);
        (await First.Files.ListAsync(null, default)).Select(f => f.Id).ShouldBe([newest.Id, old.Id]);
        (await First.Files.GetAsync(expiring.Id, default)).ShouldBeNull();
    }

    [Fact]
    public async Task DeleteAsync_ThroughTheOtherProcess_GoneForBothAndASecondDeleteFindsNothing()
    {
        var file = await AddAsync(First.Files, First.Folder);
        var kept = await AddAsync(First.Files, First.Folder);

        (await Second.Files.DeleteAsync(file.Id, default)).ShouldBeTrue();

        (await First.Files.GetAsync(file.Id, default)).ShouldBeNull();
        (await First.Files.ListAsync(null, default)).Select(f => f.Id).ShouldBe([kept.Id]);
        (await First.Files.DeleteAsync(file.Id, default)).ShouldBeFalse();
        (await First.Files.DeleteAsync("../ledger", default)).ShouldBeFalse();
    }

    [Fact]
    public async Task DeleteExpiredAsync_SomeExpired_DeletesThoseUpToTheLimitAndKeepsTheOthers()
    {
        var expired = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            expired.Add((await AddAsync(First.Files, First.Folder, Hour)).Id);
        }

        var later = await AddAsync(First.Files, First.Folder, 2 * Hour);
        var kept = await AddAsync(First.Files, First.Folder);
        Time.Advance(Hour);

        (await Second.Files.DeleteExpiredAsync(3, default)).ShouldBe(3);
        (await First.Files.DeleteExpiredAsync(10, default)).ShouldBe(2);
        (await Second.Files.DeleteExpiredAsync(10, default)).ShouldBe(0);

        foreach (var id in expired)
        {
            (await First.Store.FindFileAsync(id, default)).ShouldBeNull("an expired file's record is deleted");
        }

        (await First.Files.ListAsync(null, default)).Select(f => f.Id).ShouldBe([later.Id, kept.Id], ignoreOrder: true);
    }

    [Fact]
    public async Task SaveBatchAsync_ThenGetThroughTheOtherProcess_TheSameRecord()
    {
        var batch = new StoredBatch(
            "batch_a", "file-a", "/v1/chat/completions", "24h", null, 1_700_000_000, 3,
            [new BatchError("invalid_request", "line 2, field body: missing", "body", 2)], FailedAt: 1_700_000_001);

        await First.Store.SaveBatchAsync(batch, default);
        var read = await Second.Store.GetBatchAsync("batch_a", default);

        JsonSerializer.Serialize(read).ShouldBe(JsonSerializer.Serialize(batch));
        (await Second.Store.GetBatchAsync("batch_none", default)).ShouldBeNull();
        await Second.Store.SaveBatchAsync(batch with { Lines = 4 }, default);
        (await First.Store.GetBatchAsync("batch_a", default))!.Lines.ShouldBe(4);
    }

    [Fact]
    public async Task FinalizeOnceAsync_BothProcessesAtOnce_ProducedOnceAndBothGetTheSameFiles()
    {
        await First.Store.SaveBatchAsync(new StoredBatch("batch_f", "file-in", "/v1/chat/completions", "24h", null, 1, 2), default);
        var produced = 0;
        var bothAsked = new TaskCompletionSource();
        var asked = 0;

        Task<StoredBatch> FinalizeAsync((IApiStore Store, FileStore Files, ApiFolder Folder) process) => Task.Run(async () =>
        {
            if (Interlocked.Increment(ref asked) == 2)
            {
                bothAsked.SetResult();
            }

            return await process.Store.FinalizeOnceAsync(
                "batch_f",
                async (kept, ct) =>
                {
                    Interlocked.Increment(ref produced);
                    // Still producing when the other process asks.
                    await bothAsked.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);
                    await Task.Delay(200, ct);
                    return Finalized(process, kept!, "{\"custom_id\":\"a\"}\n");
                },
                default);
        });

        var results = await Task.WhenAll(FinalizeAsync(First), FinalizeAsync(Second));

        produced.ShouldBe(1);
        results[0].OutputFileId.ShouldNotBeNull();
        results.Select(r => (r.OutputFileId, r.FinalizedAt, r.InputFileId)).Distinct().Count().ShouldBe(1);
        (await First.Files.ListAsync(FileObject.BatchOutputPurpose, default)).Select(f => f.Id).ShouldBe([results[0].OutputFileId!]);
        using var output = new MemoryStream();
        await Second.Store.CopyContentAsync(results[0].OutputFileId!, output, default);
        System.Text.Encoding.UTF8.GetString(output.ToArray()).ShouldBe("{\"custom_id\":\"a\"}\n");
    }

    [Fact]
    public async Task FinalizeOnceAsync_FirstTryFailsHalfWay_NoneOfItsFilesKeptAndTheNextTryProduces()
    {
        var fresh = new StoredBatch("batch_cli", "", "/v1/chat/completions", "24h", null, 1, 1);
        // The first try's output file is kept, then its error file's bytes are missing.
        var failure = await Should.ThrowAsync<FileNotFoundException>(() => First.Store.FinalizeOnceAsync(
            "batch_cli",
            (kept, ct) =>
            {
                var finalized = Finalized(First, kept ?? fresh, "{}\n");
                var missing = new FileObject("file-missing", 3, 1, "batch_cli_error.jsonl", FileObject.BatchOutputPurpose);
                return Task.FromResult(finalized with { Files = [.. finalized.Files, (missing, First.Folder.TemporaryPath())] });
            },
            default));

        var batch = await Second.Store.FinalizeOnceAsync(
            "batch_cli",
            (kept, ct) =>
            {
                kept.ShouldBeNull("a batch the CLI submitted has no record until it is finalized");
                return Task.FromResult(Finalized(Second, fresh, "{}\n"));
            },
            default);
        var again = await First.Store.FinalizeOnceAsync("batch_cli", (_, _) => throw new InvalidOperationException("finalized already"), default);

        failure.ShouldNotBeNull();
        again.OutputFileId.ShouldBe(batch.OutputFileId);
        (await First.Store.GetBatchAsync("batch_cli", default))!.OutputFileId.ShouldBe(batch.OutputFileId);
        (await Second.Files.ListAsync(FileObject.BatchOutputPurpose, default)).Select(f => f.Id).ShouldBe([batch.OutputFileId!], "the failed try's output file went with it");
    }

    private async Task<(IApiStore, FileStore, ApiFolder)> ProcessAsync(string process)
    {
        var folder = new ApiFolder(Options.Create(new BatchApiOptions()), Options.Create(new LedgerOptions { Path = LedgerPath(process) }));
        var store = await OpenAsync(process, folder);
        _opened.Add(store);
        return (store, new FileStore(store, folder, Time), folder);
    }

    private static string WriteScratch(ApiFolder folder, string text)
    {
        var path = folder.TemporaryPath();
        File.WriteAllText(path, text);
        return path;
    }

    private static FinalizedBatch Finalized((IApiStore Store, FileStore Files, ApiFolder Folder) process, StoredBatch kept, string output)
    {
        var path = WriteScratch(process.Folder, output);
        var file = process.Files.NewFile(path, kept.Id + "_output.jsonl", FileObject.BatchOutputPurpose);
        return new FinalizedBatch(kept with { OutputFileId = file.Id, FinalizedAt = 42 }, [(file, path)]);
    }
}
