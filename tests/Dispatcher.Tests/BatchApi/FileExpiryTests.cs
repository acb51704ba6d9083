using Dispatcher.BatchApi;
using Dispatcher.Ledger;
using Dispatcher.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Dispatcher.Tests.BatchApi;

public sealed class FileExpiryTests : IDisposable
{
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    private readonly TempDirectory _dir = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly ApiFolder _folder;
    private readonly FileStore _files;

    public FileExpiryTests()
    {
        _folder = new ApiFolder(Options.Create(new BatchApiOptions()), Options.Create(new LedgerOptions { Path = _dir.File("ledger.db") }));
        _files = new FileStore(new FolderApiStore(_folder, _time), _folder, _time);
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task AddAsync_ExpiresAfter_ExpiresAtIsCreatedAtPlusTheSeconds()
    {
        var file = await AddAsync(Hour);
        var kept = await AddAsync(null);

        file.ExpiresAt.ShouldBe(file.CreatedAt + 3600);
        kept.ExpiresAt.ShouldBeNull();
        (await _files.GetAsync(file.Id, default))!.ExpiresAt.ShouldBe(file.ExpiresAt);
    }

    [Fact]
    public async Task GetAsync_OnceExpired_NotFoundAndNotListed()
    {
        var file = await AddAsync(Hour);
        var kept = await AddAsync(null);

        _time.Advance(Hour - TimeSpan.FromSeconds(1));
        (await _files.GetAsync(file.Id, default)).ShouldNotBeNull();

        _time.Advance(TimeSpan.FromSeconds(1));
        (await _files.GetAsync(file.Id, default)).ShouldBeNull();
        (await _files.ListAsync(null, default)).Select(f => f.Id).ShouldBe([kept.Id]);
        File.Exists(_folder.ContentPath(file.Id)).ShouldBeTrue("the sweep deletes the bytes");
    }

    [Fact]
    public async Task SweepAsync_ExpiredFiles_DeletesTheirContentAndRecordAndKeepsTheOthers()
    {
        var soon = await AddAsync(Hour);
        var later = await AddAsync(2 * Hour);
        var kept = await AddAsync(null);
        var sweep = Sweep();
        _time.Advance(Hour);

        (await sweep.SweepAsync(default)).ShouldBe(1);

        File.Exists(_folder.ContentPath(soon.Id)).ShouldBeFalse();
        File.Exists(_folder.FilePath(soon.Id)).ShouldBeFalse();
        File.Exists(_folder.ContentPath(later.Id)).ShouldBeTrue();
        File.Exists(_folder.ContentPath(kept.Id)).ShouldBeTrue();
        (await sweep.SweepAsync(default)).ShouldBe(0);
    }

    [Fact]
    public async Task SweepAsync_MoreExpiredThanAPassTakes_TheRestGoInTheNextPass()
    {
        for (var i = 0; i < FileExpirySweep.MaxPerPass + 5; i++)
        {
            await AddAsync(Hour);
        }

        var sweep = Sweep();
        _time.Advance(Hour);

        (await sweep.SweepAsync(default)).ShouldBe(FileExpirySweep.MaxPerPass);
        (await sweep.SweepAsync(default)).ShouldBe(5);
    }

    [Fact]
    public async Task ExecuteAsync_TimePassesTheExpiry_TheRunningSweepDeletesTheFile()
    {
        var file = await AddAsync(Hour);
        using var sweep = Sweep(interval: TimeSpan.FromMinutes(1));
        await sweep.StartAsync(default);
        try
        {
            _time.Advance(Hour + TimeSpan.FromMinutes(1));

            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (File.Exists(_folder.ContentPath(file.Id)))
            {
                DateTime.UtcNow.ShouldBeLessThan(deadline, "the sweep did not delete the expired file");
                await Task.Delay(20);
            }
        }
        finally
        {
            await sweep.StopAsync(default);
        }
    }

    [Theory]
    [InlineData("created_at", "3600", 3600)]
    [InlineData("created_at", "2592000", 2592000)]
    public void Read_AnchorAndSecondsInRange_TheTimeAfterCreation(string anchor, string seconds, long expected)
    {
        FileExpiresAfter.Read(anchor, seconds, out var problem, out _).ShouldBe(TimeSpan.FromSeconds(expected));
        problem.ShouldBeNull();
    }

    [Fact]
    public void Read_Neither_NeverExpires()
    {
        FileExpiresAfter.Read(null, null, out var problem, out _).ShouldBeNull();
        problem.ShouldBeNull();
    }

    [Theory]
    [InlineData("created_at", "3599", "expires_after[seconds]")]
    [InlineData("created_at", "2592001", "expires_after[seconds]")]
    [InlineData("created_at", "1h", "expires_after[seconds]")]
    [InlineData("created_at", null, "expires_after[seconds]")]
    [InlineData("last_active_at", "3600", "expires_after[anchor]")]
    [InlineData(null, "3600", "expires_after[anchor]")]
    public void Read_OutOfRangeOrUnknownAnchor_ProblemNamingTheField(string? anchor, string? seconds, string field)
    {
        FileExpiresAfter.Read(anchor, seconds, out var problem, out var param).ShouldBeNull();
        param.ShouldBe(field);
        problem!.ShouldContain(field);
    }

    private async Task<FileObject> AddAsync(TimeSpan? expiresAfter)
    {
        var temporary = _folder.TemporaryPath();
        await File.WriteAllTextAsync(temporary, "{}\n");
        return await _files.AddAsync(temporary, "in.jsonl", FileObject.BatchPurpose, default, expiresAfter);
    }

    private FileExpirySweep Sweep(TimeSpan? interval = null) =>
        new(_files, Options.Create(new BatchApiOptions { FileSweepInterval = interval ?? TimeSpan.FromMinutes(1) }), _time, NullLogger<FileExpirySweep>.Instance);
}
