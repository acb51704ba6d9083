using Microsoft.AspNetCore.Http;

namespace Dispatcher.BatchApi;

/// <summary>The Batch API's error body: <c>{"error": {"message", "type", "param", "code"}}</c>.</summary>
internal sealed record ApiError(ApiErrorBody Error)
{
    public static IResult Result(int status, string message, string? code = null, string? param = null, string type = "invalid_request_error") =>
        Results.Json(new ApiError(new ApiErrorBody(message, type, param, code)), ApiJson.Options, statusCode: status);

    public static IResult NotFound(string what, string id) =>
        Result(StatusCodes.Status404NotFound, $"No {what} found with id '{id}'.", "not_found");
}

/// <summary>What went wrong, in the Batch API's words.</summary>
internal sealed record ApiErrorBody(string Message, string Type, string? Param, string? Code);
