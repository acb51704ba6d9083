using System.Text.Json;
using System.Text.Json.Serialization;

namespace Dispatcher.BatchApi;

/// <summary>The API's JSON: snake_case names as OpenAI's, nulls written (the SDKs expect every field).</summary>
internal static class ApiJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };
}
