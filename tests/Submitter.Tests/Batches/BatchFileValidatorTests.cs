using System.Text;
using Dispatcher.Batches;

namespace Dispatcher.Submitter.Tests.Batches;

public sealed class BatchFileValidatorTests
{
    private static readonly BatchFileLimits Limits = BatchFileLimits.Default;

    [Fact]
    public async Task ValidateAsync_ValidFile_HasNoErrors()
    {
        using var file = TempBatchFile.FromLines(BatchJson.Line("req-1"), BatchJson.Line("req-2"), BatchJson.Line("req-3"));

        var result = await Validate(file);

        result.Errors.ShouldBeEmpty();
        result.IsValid.ShouldBeTrue();
        result.ErrorsTruncated.ShouldBeFalse();
        result.Lines.ShouldBe(3);
    }

    [Fact]
    public async Task ValidateAsync_MalformedJson_ReportsJsonField()
    {
        using var file = TempBatchFile.FromLines(BatchJson.Line("req-1"), """{"custom_id": "req-2", "method": "POST",""");

        var error = await SingleError(file);

        error.Line.ShouldBe(2);
        error.Field.ShouldBe("json");
        error.Message.ShouldStartWith("malformed JSON");
    }

    [Fact]
    public async Task ValidateAsync_TrailingGarbageAfterObject_ReportsJsonField()
    {
        using var file = TempBatchFile.FromLines(BatchJson.Line("req-1") + " x");

        var error = await SingleError(file);

        error.Line.ShouldBe(1);
        error.Field.ShouldBe("json");
        error.Message.ShouldStartWith("malformed JSON");
    }

    [Theory]
    [InlineData("[1, 2]", "an array")]
    [InlineData("\"req-1\"", "\"req-1\"")]
    [InlineData("42", "42")]
    [InlineData("null", "null")]
    public async Task ValidateAsync_LineNotAnObject_ReportsJsonField(string line, string found)
    {
        using var file = TempBatchFile.FromLines(BatchJson.Line("req-1"), line);

        var error = await SingleError(file);

        error.Line.ShouldBe(2);
        error.Field.ShouldBe("json");
        error.Message.ShouldBe($"line must be a JSON object, found {found}");
    }

    [Fact]
    public async Task ValidateAsync_CustomIdMissing_ReportsCustomIdField()
    {
        using var file = TempBatchFile.FromLines(BatchJson.WithMembers("""  "method": "POST", "url": "/v1/chat/completions" """));

        var error = await SingleError(file);

        error.ToString().ShouldBe("line 1, field custom_id: is required");
    }

    [Theory]
    [InlineData("42", "must be a string, found 42")]
    [InlineData("null", "must be a string, found null")]
    [InlineData("{\"id\": 1}", "must be a string, found an object")]
    [InlineData("\"\"", "must not be empty")]
    public async Task ValidateAsync_CustomIdNotANonEmptyString_ReportsCustomIdField(string value, string message)
    {
        using var file = TempBatchFile.FromLines(
            BatchJson.Line("req-1"),
            BatchJson.WithMembers($"""  "custom_id": {value}, "method": "POST", "url": "/v1/chat/completions" """));

        var error = await SingleError(file);

        error.ShouldBe(new BatchFileError(2, "custom_id", message));
    }

    [Fact]
    public async Task ValidateAsync_DuplicateCustomId_NamesBothLines()
    {
        using var file = TempBatchFile.FromLines(
            BatchJson.Line("req-1"), BatchJson.Line("req-2"), BatchJson.Line("req-3"), BatchJson.Line("req-4"), BatchJson.Line("req-2"));

        var error = await SingleError(file);

        error.ToString().ShouldBe("line 5, field custom_id: duplicate of line 2");
    }

    [Fact]
    public async Task ValidateAsync_DuplicateCustomIdWrittenWithEscapes_IsStillADuplicate()
    {
        using var file = TempBatchFile.FromLines(BatchJson.Line("req-1"), BatchJson.Line(@"req\u002d1"));

        var error = await SingleError(file);

        error.ShouldBe(new BatchFileError(2, "custom_id", "duplicate of line 1"));
    }

    [Fact]
    public async Task ValidateAsync_IdRepeatedThreeTimes_ReportsEachRepeatAgainstTheFirst()
    {
        using var file = TempBatchFile.FromLines(BatchJson.Line("a"), BatchJson.Line("b"), BatchJson.Line("a"), BatchJson.Line("a"));

        var result = await Validate(file);

        result.Errors.ShouldBe([new BatchFileError(3, "custom_id", "duplicate of line 1"), new BatchFileError(4, "custom_id", "duplicate of line 1")]);
    }

    [Fact]
    public async Task ValidateAsync_MethodMissing_ReportsMethodField()
    {
        using var file = TempBatchFile.FromLines(BatchJson.WithMembers("""  "custom_id": "req-1", "url": "/v1/chat/completions" """));

        var error = await SingleError(file);

        error.ShouldBe(new BatchFileError(1, "method", "is required and must be \"POST\""));
    }

    [Theory]
    [InlineData("\"GET\"", "must be \"POST\", found \"GET\"")]
    [InlineData("\"post\"", "must be \"POST\", found \"post\"")]
    [InlineData("1", "must be \"POST\", found 1")]
    public async Task ValidateAsync_MethodNotPost_ReportsMethodField(string value, string message)
    {
        using var file = TempBatchFile.FromLines(BatchJson.WithMembers($"""  "custom_id": "req-1", "method": {value}, "url": "/v1/chat/completions" """));

        var error = await SingleError(file);

        error.ShouldBe(new BatchFileError(1, "method", message));
    }

    [Fact]
    public async Task ValidateAsync_UrlMissing_ReportsUrlFieldAndSupportedUrls()
    {
        using var file = TempBatchFile.FromLines(BatchJson.WithMembers("""  "custom_id": "req-1", "method": "POST" """));

        var error = await SingleError(file);

        error.ShouldBe(new BatchFileError(1, "url", "is required; supported urls: /v1/chat/completions, /v1/embeddings, /v1/completions, /v1/responses, /v1/moderations"));
    }

    [Fact]
    public async Task ValidateAsync_UrlUnsupported_ReportsUrlFieldAndSupportedUrls()
    {
        using var file = TempBatchFile.FromLines(BatchJson.WithMembers("""  "custom_id": "req-1", "method": "POST", "url": "/v1/images/generations" """));

        var error = await SingleError(file);

        error.ShouldBe(new BatchFileError(1, "url", "\"/v1/images/generations\" is not supported; supported urls: /v1/chat/completions, /v1/embeddings, /v1/completions, /v1/responses, /v1/moderations"));
    }

    [Fact]
    public async Task ValidateAsync_BodyMissing_ReportsBodyField()
    {
        using var file = TempBatchFile.FromLines("""{"custom_id": "req-1", "method": "POST", "url": "/v1/chat/completions"}""");

        var error = await SingleError(file);

        error.ShouldBe(new BatchFileError(1, "body", "is required and must be a JSON object"));
    }

    [Theory]
    [InlineData("[]", "an array")]
    [InlineData("\"{}\"", "\"{}\"")]
    [InlineData("null", "null")]
    public async Task ValidateAsync_BodyNotAnObject_ReportsBodyField(string body, string found)
    {
        using var file = TempBatchFile.FromLines(BatchJson.WithBody(body));

        var error = await SingleError(file);

        error.ShouldBe(new BatchFileError(1, "body", $"must be a JSON object, found {found}"));
    }

    [Theory]
    [InlineData("""{"messages": [{"role": "user", "content": "Hi"}]}""", "is required")]
    [InlineData("""{"model": 4, "messages": [{"role": "user", "content": "Hi"}]}""", "must be a string, found 4")]
    [InlineData("""{"model": null, "messages": [{"role": "user", "content": "Hi"}]}""", "must be a string, found null")]
    [InlineData("""{"model": "", "messages": [{"role": "user", "content": "Hi"}]}""", "must not be empty")]
    public async Task ValidateAsync_ModelMissingOrNotANonEmptyString_ReportsBodyModelField(string body, string message)
    {
        using var file = TempBatchFile.FromLines(BatchJson.Line("req-0"), BatchJson.WithBody(body));

        var error = await SingleError(file);

        error.ShouldBe(new BatchFileError(2, "body.model", message));
    }

    [Theory]
    [InlineData("""{"model": "gpt-4o-mini"}""", "is required and must be a non-empty array")]
    [InlineData("""{"model": "gpt-4o-mini", "messages": []}""", "must be a non-empty array, found an empty array")]
    [InlineData("""{"model": "gpt-4o-mini", "messages": {"role": "user"}}""", "must be a non-empty array, found an object")]
    [InlineData("""{"model": "gpt-4o-mini", "messages": "Hi"}""", "must be a non-empty array, found \"Hi\"")]
    [InlineData("""{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}, "Hi"]}""", "element 1 must be an object, found \"Hi\"")]
    public async Task ValidateAsync_MessagesMissingOrNotANonEmptyArray_ReportsBodyMessagesField(string body, string message)
    {
        using var file = TempBatchFile.FromLines(BatchJson.WithBody(body));

        var error = await SingleError(file);

        error.ShouldBe(new BatchFileError(1, "body.messages", message));
    }

    [Theory]
    [InlineData("max_tokens", "0")]
    [InlineData("max_tokens", "-5")]
    [InlineData("max_tokens", "1.5")]
    [InlineData("max_tokens", "\"100\"")]
    [InlineData("max_tokens", "null")]
    [InlineData("max_tokens", "99999999999")]
    [InlineData("max_completion_tokens", "0")]
    [InlineData("max_completion_tokens", "true")]
    public async Task ValidateAsync_TokenLimitNotAPositiveInteger_ReportsItsField(string name, string value)
    {
        using var file = TempBatchFile.FromLines(
            BatchJson.WithBody($$"""{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}], "{{name}}": {{value}}}"""));

        var error = await SingleError(file);

        error.Line.ShouldBe(1);
        error.Field.ShouldBe($"body.{name}");
        error.Message.ShouldStartWith("must be a positive integer, found ");
    }

    [Fact]
    public async Task ValidateAsync_StreamTrue_ReportsBodyStreamOnItsLine()
    {
        using var file = TempBatchFile.FromLines(
            BatchJson.Line("req-1"),
            BatchJson.WithBody("""{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}], "stream": true}""", "req-2"));

        var error = await SingleError(file);

        error.ShouldBe(new BatchFileError(2, "body.stream", "must be false or absent: a batch job's result is one response, not a stream"));
    }

    [Fact]
    public async Task ValidateAsync_StreamFalse_IsAccepted()
    {
        using var file = TempBatchFile.FromLines(
            BatchJson.WithBody("""{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}], "stream": false}"""));

        (await Validate(file)).Errors.ShouldBeEmpty();
    }

    [Fact]
    public async Task ValidateAsync_TokenLimitsPositiveIntegers_AreAccepted()
    {
        using var file = TempBatchFile.FromLines(
            BatchJson.WithBody("""{"model": "o3-mini", "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 1, "max_completion_tokens": 4096}"""));

        var result = await Validate(file);

        result.Errors.ShouldBeEmpty();
    }

    [Fact]
    public async Task ValidateAsync_FieldGivenTwice_ReportsAmbiguity()
    {
        using var file = TempBatchFile.FromLines(
            BatchJson.WithMembers("""  "custom_id": "a", "custom_id": "b", "method": "POST", "url": "/v1/chat/completions" """));

        var error = await SingleError(file);

        error.ShouldBe(new BatchFileError(1, "custom_id", "appears more than once"));
    }

    [Fact]
    public async Task ValidateAsync_SeveralFieldsWrongOnOneLine_ReportsEach()
    {
        using var file = TempBatchFile.FromLines(BatchJson.WithMembers("""  "custom_id": "req-1", "method": "GET", "url": "/v1/audio/speech" """));

        var result = await Validate(file);

        result.Errors.Select(e => (e.Line, e.Field)).ShouldBe([(1, "method"), (1, "url")]);
    }

    [Fact]
    public async Task ValidateAsync_UnknownFields_AreIgnored()
    {
        using var file = TempBatchFile.FromLines(
            """{"custom_id": "req-1", "extra": {"nested": [1, 2]}, "method": "POST", "url": "/v1/chat/completions", "body": {"model": "m", "messages": [{"role": "user", "content": "Hi"}], "temperature": 0.2, "tools": []}}""");

        var result = await Validate(file);

        result.Errors.ShouldBeEmpty();
    }

    [Fact]
    public async Task ValidateAsync_InvalidUtf8_ReportsJsonField()
    {
        var bytes = Encoding.UTF8.GetBytes(BatchJson.Line("req-1") + "\n" + BatchJson.Line("req-2") + "\n");
        var at = Array.IndexOf(bytes, (byte)'2', bytes.Length / 2);
        bytes[at] = 0xC3; // a lead byte followed by '"' is not UTF-8
        using var file = TempBatchFile.FromBytes(bytes);

        var error = await SingleError(file);

        error.Line.ShouldBe(2);
        error.Field.ShouldBe("json");
        error.Message.ShouldStartWith("line is not valid UTF-8");
    }

    [Fact]
    public async Task ValidateAsync_BinaryGarbage_ReportsJsonFieldPerLine()
    {
        var garbage = new byte[] { 0x7F, 0x45, 0x4C, 0x46, 0x02, 0x01, 0x01, 0x00, 0x00, 0x00, 0x0A, 0x00, 0x3E, 0x00 };
        using var file = TempBatchFile.FromBytes(garbage);

        var result = await Validate(file);

        result.Errors.ShouldBe([
            new BatchFileError(1, "json", "line contains NUL bytes; the file looks binary, not JSONL"),
            new BatchFileError(2, "json", "line contains NUL bytes; the file looks binary, not JSONL"),
        ]);
    }

    [Fact]
    public async Task ValidateAsync_LineOverLimit_ReportsItAndContinuesWithNextLine()
    {
        var limits = new BatchFileLimits { MaxLineBytes = 256 };
        var longLine = BatchJson.Line("req-2" + new string('x', 300));
        using var file = TempBatchFile.FromLines(BatchJson.Line("req-1"), longLine, BatchJson.Line("req-3"), "{");

        var result = await BatchFileValidator.ValidateAsync(file.Path, limits, CancellationToken.None);

        result.Errors.Select(e => (e.Line, e.Field)).ShouldBe([(2, "line"), (4, "json")]);
        result.Errors[0].Message.ShouldBe($"line exceeds the limit of 256 bytes (it has {longLine.Length})");
        result.Lines.ShouldBe(4);
    }

    [Fact]
    public async Task ValidateAsync_HugeLine_IsReportedAndNextLineChecked()
    {
        const long hugeLength = 50L * 1024 * 1024;
        using var file = TempBatchFile.Write(stream =>
        {
            stream.Write(Encoding.UTF8.GetBytes(BatchJson.Line("req-1") + "\n"));
            var chunk = new byte[1024 * 1024];
            chunk.AsSpan().Fill((byte)'a');
            for (var written = 0L; written < hugeLength; written += chunk.Length)
            {
                stream.Write(chunk);
            }

            stream.Write("\r\n"u8);
            stream.Write(Encoding.UTF8.GetBytes(BatchJson.Line("req-3") + "\n"));
        });

        var result = await Validate(file);

        result.Errors.ShouldBe([new BatchFileError(2, "line", $"line exceeds the limit of {BatchFileLimits.DefaultMaxLineBytes} bytes (it has {hugeLength})")]);
        result.Lines.ShouldBe(3);
    }

    [Fact]
    public async Task ValidateAsync_HugeLineAtEndWithoutNewline_IsReported()
    {
        var limits = new BatchFileLimits { MaxLineBytes = 1024 };
        using var file = TempBatchFile.FromText(BatchJson.Line("req-1") + "\n" + new string('z', 1_000_000));

        var result = await BatchFileValidator.ValidateAsync(file.Path, limits, CancellationToken.None);

        result.Errors.ShouldBe([new BatchFileError(2, "line", "line exceeds the limit of 1024 bytes (it has 1000000)")]);
    }

    [Fact]
    public async Task ValidateAsync_LineExactlyAtLimit_IsAccepted()
    {
        var line = BatchJson.Line("req-1");
        var limits = new BatchFileLimits { MaxLineBytes = line.Length };
        using var file = TempBatchFile.FromText(line + "\r\n" + line.Replace("req-1", "req-2", StringComparison.Ordinal));

        var result = await BatchFileValidator.ValidateAsync(file.Path, limits, CancellationToken.None);

        result.Errors.ShouldBeEmpty();
    }

    [Fact]
    public async Task ValidateAsync_CrlfLineEndings_AreAcceptedAndNumbered()
    {
        using var file = TempBatchFile.FromText(BatchJson.Line("req-1") + "\r\n" + BatchJson.Line("req-2") + "\r\n" + "{\"custom_id\": 1}\r\n");

        var result = await Validate(file);

        result.Errors.Select(e => (e.Line, e.Field)).ShouldBe([(3, "custom_id"), (3, "method"), (3, "url"), (3, "body")]);
        result.Lines.ShouldBe(3);
    }

    [Fact]
    public async Task ValidateAsync_ByteOrderMarkAtStart_IsAccepted()
    {
        using var file = TempBatchFile.FromBytes([.. Encoding.UTF8.Preamble, .. Encoding.UTF8.GetBytes(BatchJson.Line("req-1") + "\n")]);

        var result = await Validate(file);

        result.Errors.ShouldBeEmpty();
        result.Lines.ShouldBe(1);
    }

    [Fact]
    public async Task ValidateAsync_BlankLines_AreSkippedButNumbered()
    {
        using var file = TempBatchFile.FromText("\n" + BatchJson.Line("req-1") + "\n   \t\r\n\n" + BatchJson.Line("req-1") + "\n\n");

        var result = await Validate(file);

        result.Errors.ShouldBe([new BatchFileError(5, "custom_id", "duplicate of line 2")]);
        result.Lines.ShouldBe(2);
    }

    [Fact]
    public async Task ValidateAsync_FileMissing_ReportsFileError()
    {
        using var file = TempBatchFile.Missing();

        var error = await SingleError(file);

        error.ShouldBe(new BatchFileError(0, "file", $"file not found: {file.Path}"));
        error.ToString().ShouldBe($"file not found: {file.Path}");
    }

    [Fact]
    public async Task ValidateAsync_PathIsDirectory_ReportsFileError()
    {
        var result = await BatchFileValidator.ValidateAsync(Path.GetTempPath(), Limits, CancellationToken.None);

        var error = result.Errors.ShouldHaveSingleItem();
        error.Line.ShouldBe(0);
        error.Field.ShouldBe("file");
        error.Message.ShouldContain("directory");
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n\n  \r\n\t\n")]
    public async Task ValidateAsync_NoNonBlankLine_ReportsFileError(string text)
    {
        using var file = TempBatchFile.FromText(text);

        var result = await Validate(file);

        var error = result.Errors.ShouldHaveSingleItem();
        error.Line.ShouldBe(0);
        error.Field.ShouldBe("file");
        error.Message.ShouldStartWith("file holds no requests");
        result.Lines.ShouldBe(0);
    }

    [Fact]
    public async Task ValidateAsync_MoreErrorsThanMax_TruncatesButCountsEveryLine()
    {
        var limits = new BatchFileLimits { MaxErrors = 5 };
        var lines = Enumerable.Range(1, 100).Select(i => i % 10 == 0 ? "{" : BatchJson.Line($"req-{i}"));
        using var file = TempBatchFile.FromLines(lines);

        var result = await BatchFileValidator.ValidateAsync(file.Path, limits, CancellationToken.None);

        result.Errors.Select(e => e.Line).ShouldBe([10, 20, 30, 40, 50]);
        result.ErrorsTruncated.ShouldBeTrue();
        result.IsValid.ShouldBeFalse();
        result.Lines.ShouldBe(100);
    }

    [Fact]
    public async Task ValidateAsync_ExactlyMaxErrors_IsNotTruncated()
    {
        var limits = new BatchFileLimits { MaxErrors = 2 };
        using var file = TempBatchFile.FromLines("{", BatchJson.Line("a"), "{");

        var result = await BatchFileValidator.ValidateAsync(file.Path, limits, CancellationToken.None);

        result.Errors.Count.ShouldBe(2);
        result.ErrorsTruncated.ShouldBeFalse();
    }

    [Fact]
    public async Task ValidateAsync_DuplicatesAndOtherErrorsPastMax_KeepsTheFirstInLineOrder()
    {
        var limits = new BatchFileLimits { MaxErrors = 3 };
        using var file = TempBatchFile.FromLines(
            BatchJson.Line("a"), "{", BatchJson.Line("a"), BatchJson.Line("b"), "{", BatchJson.Line("b"), "{", BatchJson.Line("a"));

        var result = await BatchFileValidator.ValidateAsync(file.Path, limits, CancellationToken.None);

        result.Errors.Select(e => (e.Line, e.Field)).ShouldBe([(2, "json"), (3, "custom_id"), (5, "json")]);
        result.ErrorsTruncated.ShouldBeTrue();
        result.Lines.ShouldBe(8);
    }

    [Fact]
    public async Task ValidateAsync_EveryHashCollides_ReportsNoFalseDuplicate()
    {
        using var file = TempBatchFile.FromLines(Enumerable.Range(1, 1000).Select(i => BatchJson.Line($"req-{i}")));

        var result = await BatchFileValidator.ValidateAsync(file.Path, Limits, progress: null, _ => 42UL, CancellationToken.None);

        result.Errors.ShouldBeEmpty();
        result.Lines.ShouldBe(1000);
    }

    [Fact]
    public async Task ValidateAsync_CollidingHashAndRealDuplicate_ReportsOnlyTheRealOne()
    {
        // "a" and "b" share a hash here but are different ids; only the second "b" is a duplicate.
        using var file = TempBatchFile.FromLines(BatchJson.Line("a"), BatchJson.Line("b"), BatchJson.Line("c"), BatchJson.Line("b"));

        var result = await BatchFileValidator.ValidateAsync(
            file.Path, Limits, progress: null, id => id.SequenceEqual("c"u8) ? 7UL : 1UL, CancellationToken.None);

        result.Errors.ShouldBe([new BatchFileError(4, "custom_id", "duplicate of line 2")]);
    }

    [Fact]
    public async Task ValidateAsync_LargeValidFile_HasNoErrors()
    {
        using var file = TempBatchFile.Write(stream => WriteLines(stream, 200_000));

        var result = await Validate(file);

        result.Errors.ShouldBeEmpty();
        result.Lines.ShouldBe(200_000);
    }

    [Fact]
    public async Task ValidateAsync_WithProgress_ReportsBytesReadUpToFileLength()
    {
        using var file = TempBatchFile.Write(stream => WriteLines(stream, 5_000));
        var progress = new RecordingProgress();

        await BatchFileValidator.ValidateAsync(file.Path, Limits, progress, CancellationToken.None);

        progress.Reports.Count.ShouldBeGreaterThan(1);
        progress.Reports.ShouldBeInOrder(SortDirection.Ascending);
        progress.Reports[^1].ShouldBe(new FileInfo(file.Path).Length);
    }

    [Fact]
    public async Task ValidateAsync_Cancelled_Throws()
    {
        using var file = TempBatchFile.FromLines(BatchJson.Line("req-1"));

        await Should.ThrowAsync<OperationCanceledException>(
            () => BatchFileValidator.ValidateAsync(file.Path, Limits, new CancellationToken(canceled: true)));
    }

    internal static void WriteLines(Stream stream, int count)
    {
        using var writer = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
        for (var i = 1; i <= count; i++)
        {
            writer.Write(BatchJson.Line($"req-{i}"));
            writer.Write('\n');
        }
    }

    private static Task<BatchValidationResult> Validate(TempBatchFile file) =>
        BatchFileValidator.ValidateAsync(file.Path, Limits, CancellationToken.None);

    private static async Task<BatchFileError> SingleError(TempBatchFile file)
    {
        var result = await Validate(file);
        result.IsValid.ShouldBeFalse();
        return result.Errors.ShouldHaveSingleItem();
    }
}
