using Microsoft.AspNetCore.Http;

namespace Dispatcher.BatchApi;

/// <summary>Refuses, 401 in the Batch API's error shape, every call without <c>Authorization: Bearer KEY</c>.</summary>
internal sealed class ApiKeyFilter(ApiKey key) : IEndpointFilter
{
    private const string Scheme = "Bearer ";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var header = context.HttpContext.Request.Headers.Authorization.ToString();
        var presented = header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase) ? header[Scheme.Length..].Trim() : null;
        if (key.Matches(presented))
        {
            return await next(context);
        }

        // Never the key, nor what was presented: only the variable's name, so an operator knows where to set it.
        var message = key.IsConfigured
            ? "Incorrect or missing API key. Send it as 'Authorization: Bearer KEY'."
            : $"The Batch API has no key configured: set the environment variable {key.Variable} on the dispatcher.";
        return ApiError.Result(StatusCodes.Status401Unauthorized, message, "invalid_api_key", type: "invalid_request_error");
    }
}
