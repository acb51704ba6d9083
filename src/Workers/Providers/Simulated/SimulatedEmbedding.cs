using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace Dispatcher.Workers.Providers.Simulated;

/// <summary>
/// The simulated provider's embedding of one input: a unit vector whose components come from a
/// generator seeded with a hash of the input, so the same input gets the same vector on every
/// call, deployment and process, and different inputs get unrelated ones.
/// </summary>
internal static class SimulatedEmbedding
{
    /// <summary>The vector of <paramref name="input"/> (a text, or a token id array as its JSON), <paramref name="dimensions"/> long.</summary>
    public static float[] Of(string input, int dimensions)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimensions, 1);

        var state = Fnv1a64(Encoding.UTF8.GetBytes(input));
        var vector = new float[dimensions];
        double norm = 0;
        for (var i = 0; i < dimensions; i++)
        {
            // Uniform in [-1, 1): enough spread for cosine similarity to tell inputs apart.
            var value = (float)((SplitMix64(ref state) >> 11) * (1.0 / (1UL << 53)) * 2.0 - 1.0);
            vector[i] = value;
            norm += value * (double)value;
        }

        // Real embedding models answer unit vectors; so does this, making dot product and cosine agree.
        var scale = norm > 0 ? (float)(1.0 / Math.Sqrt(norm)) : 0f;
        for (var i = 0; i < dimensions; i++)
        {
            vector[i] *= scale;
        }

        return vector;
    }

    /// <summary>Writes <paramref name="vector"/> as OpenAI does for <c>encoding_format</c>: a float array, or base64 of little-endian float32s.</summary>
    public static void Write(Utf8JsonWriter w, string name, float[] vector, bool base64)
    {
        if (base64)
        {
            var bytes = new byte[vector.Length * sizeof(float)];
            for (var i = 0; i < vector.Length; i++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), vector[i]);
            }

            w.WriteBase64String(name, bytes);
            return;
        }

        w.WriteStartArray(name);
        foreach (var value in vector)
        {
            w.WriteNumberValue(value);
        }

        w.WriteEndArray();
    }

    private static ulong Fnv1a64(ReadOnlySpan<byte> bytes)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in bytes)
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        return hash;
    }

    private static ulong SplitMix64(ref ulong state)
    {
        var z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
