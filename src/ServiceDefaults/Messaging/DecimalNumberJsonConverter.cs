using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Dispatcher.ServiceDefaults.Messaging;

/// <summary>
/// Writes a decimal as a JSON number, every digit kept, and reads one as a number or a string.
/// MassTransit's serializer writes decimals as strings by default, so a consumer in another
/// language would read a result's <c>cost</c> as text; the messages' documented shape has numbers.
/// Reading strings too keeps messages from processes still writing them readable.
/// </summary>
internal sealed class DecimalNumberJsonConverter : JsonConverter<decimal>
{
    public override decimal Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String
            ? decimal.Parse(reader.GetString()!, NumberStyles.Float, CultureInfo.InvariantCulture)
            : reader.GetDecimal();

    public override void Write(Utf8JsonWriter writer, decimal value, JsonSerializerOptions options) => writer.WriteNumberValue(value);
}
