using System.Text;
using System.Text.Json;
using Dispatcher.Batches;

namespace Dispatcher.Submitter.Tests.Batches;

public sealed class BatchFileReaderTests
{
    private static readonly BatchFileLimits Limits = BatchFileLimits.Default;

    [Fact]
    public async Task ReadAsync_ValidatedFile_YieldsEveryRequestWithItsBodyIntact()
    {
        const string withExtras =
            """{"custom_id": "req-\u00e9", "extra": 1, "method": "POST", "url": "/v1/chat/completions", "body": {"model": "gpt-4o", "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}], "max_completion_tokens": 50, "temperature": 0.2, "response_format": {"type": "json_object"}, "x_vendor": [1, "two", null]}}""";
        using var file = TempBatchFile.FromText(BatchJson.Line("req-1") + "\n\n" + withExtras + "\n" + BatchJson.Line("req-3", "gpt-4o-mini"));
        (await BatchFileValidator.ValidateAsync(file.Path, Limits, CancellationToken.None)).Errors.ShouldBeEmpty();

        var lines = await ReadAll(file);

        lines.Select(l => (l.LineNumber, l.CustomId, l.Model)).ShouldBe([(1, "req-1", "gpt-4o-mini"), (3, "req-é", "gpt-4o"), (4, "req-3", "gpt-4o-mini")]);
        lines[0].Body.GetProperty("max_tokens").GetInt32().ShouldBe(100);
        lines[0].Body.GetProperty("messages")[0].GetProperty("content").GetString().ShouldBe("Hello req-1");

        // The body is the file's JSON, unknown fields included, byte for byte.
        var expectedBody = JsonDocument.Parse(withExtras).RootElement.GetProperty("body").GetRawText();
        lines[1].Body.GetRawText().ShouldBe(expectedBody);
        lines[1].Body.GetProperty("x_vendor")[1].GetString().ShouldBe("two");
        lines[1].Body.GetProperty("response_format").GetProperty("type").GetString().ShouldBe("json_object");
    }

    [Fact]
    public async Task ReadAsync_CrlfAndByteOrderMark_YieldsCleanLines()
    {
        var text = BatchJson.Line("req-1") + "\r\n\r\n" + BatchJson.Line("req-2") + "\r\n";
        using var file = TempBatchFile.FromBytes([.. Encoding.UTF8.Preamble, .. Encoding.UTF8.GetBytes(text)]);

        var lines = await ReadAll(file);

        lines.Select(l => (l.LineNumber, l.CustomId)).ShouldBe([(1, "req-1"), (3, "req-2")]);
    }

    [Fact]
    public async Task ReadAsync_LargeFile_YieldsEveryLine()
    {
        using var file = TempBatchFile.Write(stream => BatchFileValidatorTests.WriteLines(stream, 200_000));
        (await BatchFileValidator.ValidateAsync(file.Path, Limits, CancellationToken.None)).IsValid.ShouldBeTrue();

        var count = 0;
        await foreach (var line in BatchFileReader.ReadAsync(file.Path, Limits, CancellationToken.None))
        {
            count++;
            if (line.CustomId != $"req-{count}" || line.LineNumber != count)
            {
                throw new InvalidOperationException($"line {count} read as {line.LineNumber} {line.CustomId}");
            }
        }

        count.ShouldBe(200_000);
    }

    [Fact]
    public async Task ReadAsync_InvalidLine_ThrowsNamingLineAndField()
    {
        using var file = TempBatchFile.FromLines(BatchJson.Line("req-1"), BatchJson.Line("req-2"), BatchJson.WithBody("""{"model": "m", "messages": []}"""));
        var seen = new List<string>();

        var ex = await Should.ThrowAsync<BatchFileFormatException>(async () =>
        {
            await foreach (var line in BatchFileReader.ReadAsync(file.Path, Limits, CancellationToken.None))
            {
                seen.Add(line.CustomId);
            }
        });

        seen.ShouldBe(["req-1", "req-2"]);
        ex.Error.Line.ShouldBe(3);
        ex.Error.Field.ShouldBe("body.messages");
        ex.Message.ShouldContain("line 3, field body.messages");
        ex.Message.ShouldContain(file.Path);
    }

    [Fact]
    public async Task ReadAsync_LineOverLimit_ThrowsNamingLine()
    {
        var limits = new BatchFileLimits { MaxLineBytes = 300 };
        using var file = TempBatchFile.FromLines(BatchJson.Line("req-1"), BatchJson.Line(new string('x', 400)));

        var ex = await Should.ThrowAsync<BatchFileFormatException>(async () =>
        {
            await foreach (var unused in BatchFileReader.ReadAsync(file.Path, limits, CancellationToken.None))
            {
            }
        });

        ex.Error.Line.ShouldBe(2);
        ex.Error.Field.ShouldBe("line");
    }

    [Fact]
    public async Task ReadAsync_WithProgress_ReportsBytesReadUpToFileLength()
    {
        using var file = TempBatchFile.Write(stream => BatchFileValidatorTests.WriteLines(stream, 5_000));
        var progress = new RecordingProgress();

        await foreach (var unused in BatchFileReader.ReadAsync(file.Path, Limits, progress, CancellationToken.None))
        {
        }

        progress.Reports.Count.ShouldBeGreaterThan(1);
        progress.Reports.ShouldBeInOrder(SortDirection.Ascending);
        progress.Reports[^1].ShouldBe(new FileInfo(file.Path).Length);
    }

    [Fact]
    public async Task ReadAsync_FileMissing_ThrowsFileNotFound()
    {
        using var file = TempBatchFile.Missing();

        await Should.ThrowAsync<FileNotFoundException>(() => ReadAll(file));
    }

    private static async Task<List<BatchLine>> ReadAll(TempBatchFile file)
    {
        var lines = new List<BatchLine>();
        await foreach (var line in BatchFileReader.ReadAsync(file.Path, Limits, CancellationToken.None))
        {
            lines.Add(line);
        }

        return lines;
    }
}
