using System.Text;
using Dispatcher.Batches;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Dispatcher.BatchApi;

/// <summary>
/// <c>POST /v1/files</c>: reads the multipart form section by section, copying the file's bytes
/// straight to disk (memory stays flat whatever the file's size), then validates the file as
/// <c>submit</c> does, streaming, before it becomes a file anyone can name.
/// </summary>
internal sealed class FileUpload(ApiFolder folder, FileStore files, IOptions<BatchApiOptions> options, IConfiguration configuration)
{
    private const int MaxFieldBytes = 1024;

    public async Task<IResult> HandleAsync(HttpContext context, CancellationToken ct)
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = options.Value.MaxUploadBytes;
        }

        if (!MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var contentType)
            || !contentType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(contentType.Boundary).Value is not { Length: > 0 } boundary)
        {
            return ApiError.Result(StatusCodes.Status400BadRequest, "Expected a multipart/form-data body with the fields 'file' and 'purpose'.", "invalid_request");
        }

        var temporary = folder.TemporaryPath();
        try
        {
            string? purpose = null, filename = null, anchor = null, seconds = null;
            var reader = new MultipartReader(boundary, context.Request.Body) { BodyLengthLimit = options.Value.MaxUploadBytes };
            while (await reader.ReadNextSectionAsync(ct) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition))
                {
                    continue;
                }

                switch (HeaderUtilities.RemoveQuotes(disposition.Name).Value)
                {
                    case "purpose":
                        purpose = await ReadFieldAsync(section.Body, ct);
                        break;
                    case FileExpiresAfter.AnchorField:
                        anchor = await ReadFieldAsync(section.Body, ct);
                        break;
                    case FileExpiresAfter.SecondsField:
                        seconds = await ReadFieldAsync(section.Body, ct);
                        break;
                    case "file":
                        filename = HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value ?? "upload.jsonl";
                        await using (var target = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
                        {
                            await section.Body.CopyToAsync(target, ct);
                        }

                        break;
                }
            }

            if (filename is null)
            {
                return ApiError.Result(StatusCodes.Status400BadRequest, "The form has no 'file' field.", "invalid_request", "file");
            }

            if (purpose != FileObject.BatchPurpose)
            {
                return ApiError.Result(StatusCodes.Status400BadRequest, $"'purpose' must be '{FileObject.BatchPurpose}', got '{purpose}': this server keeps batch input files only.", "invalid_request", "purpose");
            }

            var expiresAfter = FileExpiresAfter.Read(anchor, seconds, out var expiryProblem, out var expiryParam);
            if (expiryProblem is not null)
            {
                return ApiError.Result(StatusCodes.Status400BadRequest, expiryProblem, "invalid_request", expiryParam);
            }

            var result = await BatchFileValidator.ValidateAsync(temporary, BatchFileLimits.From(configuration), coverage: null, ct);
            if (!result.IsValid)
            {
                return ApiError.Result(StatusCodes.Status400BadRequest, Describe(filename, result), "invalid_batch_file", "file");
            }

            return Results.Json(await files.AddAsync(temporary, Path.GetFileName(filename), FileObject.BatchPurpose, ct, expiresAfter), ApiJson.Options);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return ApiError.Result(StatusCodes.Status413PayloadTooLarge, $"The file is larger than {options.Value.MaxUploadBytes} bytes (BatchApi:MaxUploadBytes).", "file_too_large", "file");
        }
        catch (IOException e) when (e.Message.Contains("multipart", StringComparison.OrdinalIgnoreCase))
        {
            return ApiError.Result(StatusCodes.Status400BadRequest, "The multipart body is malformed: " + e.Message, "invalid_request");
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>Every problem, one a line, e.g. <c>line 3, field custom_id: duplicate of line 1</c>.</summary>
    public static string Describe(string filename, BatchValidationResult result)
    {
        var text = new StringBuilder($"{filename} was rejected:");
        foreach (var error in result.Errors)
        {
            text.Append('\n').Append(error);
        }

        if (result.ErrorsTruncated)
        {
            text.Append($"\n… more errors not shown (the first {result.Errors.Count} are listed)");
        }

        return text.ToString();
    }

    private static async Task<string> ReadFieldAsync(Stream body, CancellationToken ct)
    {
        var buffer = new byte[MaxFieldBytes];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = await body.ReadAsync(buffer.AsMemory(length), ct)) > 0)
        {
            length += read;
        }

        return Encoding.UTF8.GetString(buffer, 0, length).Trim();
    }
}
