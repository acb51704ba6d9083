using System.Globalization;
using Dispatcher.Batches;
using Dispatcher.Catalog;
using Dispatcher.Contracts;
using Dispatcher.Ledger;
using Dispatcher.ResultFiles;
using MassTransit;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Dispatcher.BatchApi;

/// <summary>
/// The batches of the Batch API. The ledger holds each batch's jobs, state and metadata, as for a
/// batch the CLI submitted (so every batch the dispatcher runs is listed here, whoever submitted
/// it); a <see cref="StoredBatch"/> in the <see cref="IApiStore"/> holds what the ledger does not: the
/// request, a rejected file's errors, and the output and error files, written from the ledger once
/// the batch ends, by whichever caller first finds it ended (<see cref="IApiStore.FinalizeOnceAsync"/>).
/// </summary>
internal sealed class BatchBook(
    ApiFolder folder,
    IApiStore store,
    FileStore files,
    JobLedger ledger,
    IBus bus,
    IOptions<CatalogOptions> catalog,
    IConfiguration configuration,
    TimeProvider time)
{
    private static readonly TimeSpan CommandWait = TimeSpan.FromSeconds(10);

    /// <summary>
    /// <c>POST /v1/batches</c>: validates the input file against this dispatcher's catalog (as
    /// <c>run</c> does), then publishes its lines into the intake as <c>submit</c> does, each job
    /// with the request's tenant and priority (<see cref="BatchTenancy"/>). A rejected
    /// file makes a <c>failed</c> batch whose <c>errors</c> name each line.
    /// </summary>
    public async Task<IResult> CreateAsync(CreateBatchRequest request, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.InputFileId) || await files.GetAsync(request.InputFileId, ct) is not { } input)
        {
            return ApiError.Result(StatusCodes.Status400BadRequest, $"No file found with id '{request.InputFileId}'.", "invalid_input_file", "input_file_id");
        }

        if (Endpoints.Normalize(request.Endpoint) is not { } endpoint || string.IsNullOrWhiteSpace(request.Endpoint))
        {
            return ApiError.Result(StatusCodes.Status400BadRequest, $"'endpoint' must be one of {Endpoints.List(Endpoints.All)}, got '{request.Endpoint}'.", "invalid_endpoint", "endpoint");
        }

        var windowText = string.IsNullOrWhiteSpace(request.CompletionWindow) ? "24h" : request.CompletionWindow.Trim();
        if (CompletionWindowText.TryParse(windowText) is not { } window)
        {
            return ApiError.Result(StatusCodes.Status400BadRequest, $"'completion_window' must be a duration such as 24h, got '{windowText}'.", "invalid_completion_window", "completion_window");
        }

        if (BatchMetadata.Problem(request.Metadata, "metadata") is { } metadataProblem)
        {
            return ApiError.Result(StatusCodes.Status400BadRequest, $"{metadataProblem}.", "invalid_metadata", "metadata");
        }

        var (tenant, priority, param, problem) = BatchTenancy.Read(request);
        if (problem is not null)
        {
            return ApiError.Result(StatusCodes.Status400BadRequest, problem, "invalid_request", param);
        }

        var id = "batch_" + NewId.NextGuid().ToString("N");
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        using var content = await files.LocalAsync(input, ct);
        var path = content.Path;
        var limits = BatchFileLimits.From(configuration);
        var result = await BatchFileValidator.ValidateAsync(path, limits, new EndpointCoverage(catalog.Value), ct);
        var stored = new StoredBatch(id, input.Id, endpoint, windowText, null, now, result.Lines);
        var metadata = request.Metadata is { Count: > 0 } pairs ? pairs : null;
        if (!result.IsValid)
        {
            // The errors beside the ledger, the batch in it: listed as failed, as OpenAI lists it.
            var errors = result.Errors.Select(e => new BatchError(Code(e), e.Message, e.Line == 0 ? null : e.Field, e.Line == 0 ? null : e.Line)).ToList();
            await store.SaveBatchAsync(stored with { Errors = errors, FailedAt = now }, ct);
            await ledger.RecordFailedBatchAsync(id, input.Filename, metadata, ct);
            return Results.Json(await GetAsync(id, ct), ApiJson.Options);
        }

        await store.SaveBatchAsync(stored, ct);
        // Recorded here before its lines go out, so the batch is listed, with its metadata, from
        // the answer on; the announcement the publisher sends finds it recorded (the first wins).
        await ledger.UpsertBatchAsync(id, result.Lines, input.Filename, null, window, metadata, ct);
        await new BatchPublisher(bus, priority, tenant: tenant).PublishAsync(path, id, result.Lines, limits, progress: null, ct, completionWindow: window, metadata: metadata);
        return Results.Json(await GetAsync(id, ct), ApiJson.Options);
    }

    /// <summary><c>GET /v1/batches/{id}</c>; null for an unknown batch.</summary>
    public async Task<BatchObject?> GetAsync(string batchId, CancellationToken ct)
    {
        if (!ApiFolder.IsId(batchId))
        {
            return null;
        }

        var stored = await store.GetBatchAsync(batchId, ct);
        var status = await ledger.GetBatchStatusAsync(batchId, ct);
        return stored is null && status is null ? null : await ViewAsync(batchId, stored, status, ct);
    }

    /// <summary><c>GET /v1/batches</c>: newest first, <paramref name="limit"/> a page, those older than <paramref name="after"/>.</summary>
    public async Task<ListPage<BatchObject>> ListAsync(string? after, int limit, CancellationToken ct)
    {
        var rows = await ledger.ListBatchesAsync(limit + 1, ct, after);
        var page = new List<BatchObject>(Math.Min(limit, rows.Count));
        foreach (var status in rows.Take(limit))
        {
            page.Add(await ViewAsync(status.BatchId, await store.GetBatchAsync(status.BatchId, ct), status, ct));
        }

        return new ListPage<BatchObject>(page, page.FirstOrDefault()?.Id, page.LastOrDefault()?.Id, rows.Count > limit);
    }

    /// <summary>
    /// <c>POST /v1/batches/{id}/cancel</c> (and this dispatcher's <c>/pause</c>, <c>/resume</c>):
    /// sends the command to the dispatcher's batch control queue, as the CLI does, and waits a
    /// little for the ledger to show it recorded. <paramref name="reason"/> is why (a cancel's).
    /// </summary>
    public async Task<IResult> ControlAsync(string batchId, BatchCommandKind kind, CancellationToken ct, string? reason = null)
    {
        if (await GetAsync(batchId, ct) is not { } batch)
        {
            return ApiError.NotFound("batch", batchId);
        }

        if (kind.Refusal(batch.Status) is { } refusal)
        {
            return ApiError.Result(StatusCodes.Status409Conflict, $"Batch {batchId} is {batch.Status}: {refusal}.", "invalid_batch_state");
        }

        if (!kind.IsRecorded(batch.Status))
        {
            var control = await bus.GetSendEndpoint(new Uri("exchange:" + QueueNames.BatchControl));
            await control.Send(kind.Message(batchId, reason), ct);
            var deadline = time.GetUtcNow() + CommandWait;
            while (!kind.IsRecorded(batch.Status) && time.GetUtcNow() < deadline)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), time, ct);
                batch = await GetAsync(batchId, ct) ?? batch;
            }
        }

        return Results.Json(batch, ApiJson.Options);
    }

    private async Task<BatchObject> ViewAsync(string batchId, StoredBatch? stored, BatchStatus? status, CancellationToken ct)
    {
        // A batch refused at creation has no results to write.
        var failed = stored?.FailedAt is not null || status?.Control == BatchControl.Failed;
        if (status is { IsEnded: true } && stored?.FinalizedAt is null && !failed)
        {
            stored = await FinalizeAsync(batchId, stored, status, ct);
        }

        var control = status is null ? null : await ledger.GetBatchControlAsync(batchId, ct);
        var createdAt = stored?.CreatedAt ?? Seconds(status!.CreatedAt)!.Value;
        var state = failed ? BatchState.Failed : status?.State ?? BatchState.Validating;
        var controlAt = Seconds(control?.ControlAt);
        var ledgerAt = Seconds(status?.CreatedAt);
        return new BatchObject(
            batchId,
            stored?.Endpoint ?? Endpoints.ChatCompletions,
            stored?.Errors is { Count: > 0 } errors ? new BatchErrors(errors) : null,
            stored?.InputFileId ?? "",
            stored?.CompletionWindow ?? Window(status, createdAt),
            state,
            stored?.OutputFileId,
            stored?.ErrorFileId,
            createdAt,
            InProgressAt: state is BatchState.Validating or BatchState.Failed ? null : ledgerAt,
            ExpiresAt: Seconds(status?.ExpiresAt),
            FinalizingAt: stored?.FinalizedAt,
            CompletedAt: state == BatchState.Completed ? stored?.FinalizedAt : null,
            FailedAt: failed ? stored?.FailedAt ?? controlAt : null,
            ExpiredAt: state == BatchState.Expired ? controlAt : null,
            CancellingAt: state is BatchState.Cancelling or BatchState.Cancelled ? controlAt : null,
            CancelledAt: state == BatchState.Cancelled ? stored?.FinalizedAt : null,
            // A failed batch holds no requests (nothing of it was published), as OpenAI counts it.
            new RequestCounts(failed ? 0 : status?.TotalJobs ?? stored?.Lines ?? 0, status?.Succeeded ?? 0, status?.Failed ?? 0),
            status?.Metadata ?? stored?.Metadata);
    }

    // The output and error files, written from the ledger once; each registered as a file when it has lines.
    private async Task<StoredBatch> FinalizeAsync(string batchId, StoredBatch? stored, BatchStatus status, CancellationToken ct)
    {
        var scratch = Path.Combine(folder.Root, "tmp", Guid.NewGuid().ToString("N"));
        try
        {
            return await store.FinalizeOnceAsync(batchId, (kept, t) => WriteResultsAsync(batchId, kept ?? stored, status, scratch, t), ct);
        }
        finally
        {
            // Nothing was written here when another caller had finalized the batch already.
            if (Directory.Exists(scratch))
            {
                Directory.Delete(scratch, recursive: true);
            }
        }
    }

    private async Task<FinalizedBatch> WriteResultsAsync(string batchId, StoredBatch? stored, BatchStatus status, string scratch, CancellationToken ct)
    {
        var createdAt = Seconds(status.CreatedAt) ?? time.GetUtcNow().ToUnixTimeSeconds();
        stored ??= new StoredBatch(batchId, "", Endpoints.ChatCompletions, Window(status, createdAt), null, createdAt, status.TotalJobs ?? 0);
        var written = await new BatchResultWriter(ledger).WriteAsync(batchId, scratch, ct);
        var produced = new List<(FileObject File, string ContentPath)>();
        FileObject? Produce(long lines, string path, string filename)
        {
            if (lines == 0)
            {
                return null;
            }

            var file = files.NewFile(path, filename, FileObject.BatchOutputPurpose);
            produced.Add((file, path));
            return file;
        }

        var output = Produce(written.OutputLines, written.OutputPath, batchId + "_output.jsonl");
        var error = Produce(written.ErrorLines, written.ErrorPath, batchId + "_error.jsonl");
        return new FinalizedBatch(stored with { OutputFileId = output?.Id, ErrorFileId = error?.Id, FinalizedAt = time.GetUtcNow().ToUnixTimeSeconds() }, produced);
    }

    // The Batch API's codes for a rejected line, from the field at fault.
    private static string Code(BatchFileError error) => error.Field switch
    {
        BatchFileError.FileField => "invalid_file",
        "json" => "invalid_json_line",
        "line" => "line_too_long",
        "custom_id" when error.Message.StartsWith("duplicate", StringComparison.Ordinal) => "duplicate_custom_id",
        _ when error.Message == "missing" => "missing_required_parameter",
        _ => "invalid_request",
    };

    private static string Window(BatchStatus? status, long createdAt) =>
        Seconds(status?.ExpiresAt) is { } expires ? $"{Math.Max(1, (expires - createdAt + 1800) / 3600)}h" : "24h";

    private static long? Seconds(string? roundTrip) =>
        roundTrip is null ? null : DateTimeOffset.Parse(roundTrip, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind).ToUnixTimeSeconds();
}
