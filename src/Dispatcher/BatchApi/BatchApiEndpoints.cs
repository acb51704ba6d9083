using System.Text.Json;
using Dispatcher.Ledger;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Dispatcher.BatchApi;

/// <summary>
/// The OpenAI-compatible Batch API: <c>/v1/files</c> (upload with purpose <c>batch</c>, list,
/// retrieve, content, delete) and <c>/v1/batches</c> (create, retrieve, list, cancel, and this
/// dispatcher's pause and resume), behind a bearer key, so OpenAI's SDKs work against it unchanged.
/// </summary>
public static class BatchApiEndpoints
{
    /// <summary>Registers the API's services and options.</summary>
    public static IServiceCollection AddBatchApi(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<BatchApiOptions>().BindConfiguration(BatchApiOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BatchApiOptions>, BatchLineLimitValidator>());
        services.TryAddSingleton<ApiKey>();
        services.TryAddSingleton<ApiFolder>();
        // With the PostgreSQL ledger every dispatcher on it answers for every file and batch; a
        // SQLite ledger's processes are those of one machine, which share the folder.
        services.TryAddSingleton<IApiStore>(sp => sp.GetRequiredService<IOptions<LedgerOptions>>().Value is { Provider: LedgerProvider.Postgres } ledger
            ? PostgresApiStore.ForOptions(ledger)
            : new FolderApiStore(sp.GetRequiredService<ApiFolder>(), sp.GetRequiredService<TimeProvider>()));
        services.AddHostedService<ApiStoreInitializer>();
        services.TryAddSingleton<FileStore>();
        services.TryAddSingleton<FileUpload>();
        services.TryAddSingleton<BatchBook>();
        services.TryAddSingleton<FileExpirySweep>();
        services.AddHostedService(sp => sp.GetRequiredService<FileExpirySweep>());
        return services;
    }

    /// <summary>Maps the API under <c>/v1</c>; every call needs the key.</summary>
    public static IEndpointRouteBuilder MapBatchApi(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/v1").AddEndpointFilter<ApiKeyFilter>();
        api.MapPost("/files", (HttpContext context, FileUpload upload, CancellationToken ct) => upload.HandleAsync(context, ct));
        api.MapGet("/files", async (FileStore files, string? purpose, CancellationToken ct) =>
        {
            var list = await files.ListAsync(purpose, ct);
            return Results.Json(new ListPage<FileObject>(list, list.FirstOrDefault()?.Id, list.LastOrDefault()?.Id, false), ApiJson.Options);
        });
        api.MapGet("/files/{id}", async (string id, FileStore files, CancellationToken ct) =>
            await files.GetAsync(id, ct) is { } file ? Results.Json(file, ApiJson.Options) : ApiError.NotFound("file", id));
        api.MapGet("/files/{id}/content", async (string id, FileStore files, CancellationToken ct) =>
            await files.GetAsync(id, ct) is { } file ? files.Download(file, ct) : ApiError.NotFound("file", id));
        api.MapDelete("/files/{id}", async (string id, FileStore files, CancellationToken ct) =>
            await files.DeleteAsync(id, ct) ? Results.Json(new FileDeleted(id, true), ApiJson.Options) : ApiError.NotFound("file", id));

        api.MapPost("/batches", async (HttpRequest request, BatchBook batches, CancellationToken ct) =>
        {
            CreateBatchRequest? body;
            try
            {
                body = await JsonSerializer.DeserializeAsync<CreateBatchRequest>(request.Body, ApiJson.Options, ct);
            }
            catch (JsonException e)
            {
                return ApiError.Result(StatusCodes.Status400BadRequest, "The body is not valid JSON: " + e.Message, "invalid_json");
            }

            return body is null
                ? ApiError.Result(StatusCodes.Status400BadRequest, "Expected a JSON object with input_file_id, endpoint and completion_window.", "invalid_json")
                : await batches.CreateAsync(body, ct);
        });
        api.MapGet("/batches", async (BatchBook batches, string? after, int? limit, CancellationToken ct) =>
            Results.Json(await batches.ListAsync(after, Math.Clamp(limit ?? 20, 1, 100), ct), ApiJson.Options));
        api.MapGet("/batches/{id}", async (string id, BatchBook batches, CancellationToken ct) =>
            await batches.GetAsync(id, ct) is { } batch ? Results.Json(batch, ApiJson.Options) : ApiError.NotFound("batch", id));
        api.MapPost("/batches/{id}/cancel", async (string id, HttpRequest request, BatchBook batches, CancellationToken ct) =>
        {
            var (reason, problem) = await CancelReason.ReadAsync(request, ct);
            return problem is null
                ? await batches.ControlAsync(id, BatchCommandKind.Cancel, ct, reason)
                : ApiError.Result(StatusCodes.Status400BadRequest, problem, "invalid_request", "reason");
        });
        api.MapPost("/batches/{id}/pause", (string id, BatchBook batches, CancellationToken ct) => batches.ControlAsync(id, BatchCommandKind.Pause, ct));
        api.MapPost("/batches/{id}/resume", (string id, BatchBook batches, CancellationToken ct) => batches.ControlAsync(id, BatchCommandKind.Resume, ct));
        return endpoints;
    }

    /// <summary>Prepares the store (its tables, on PostgreSQL) before the API and the expiry sweep use it.</summary>
    private sealed class ApiStoreInitializer(IApiStore store) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => store.InitializeAsync(cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
