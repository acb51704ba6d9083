namespace Dispatcher.Batches;

/// <summary>
/// 64-bit FNV-1a. System.IO.Hashing is not available here, and custom ids are short, so a
/// byte-at-a-time hash costs little next to parsing the line. With 64 bits, a million distinct
/// ids collide somewhere with a chance of about 3 in 10^8, so the confirming pass that guards
/// against collisions almost only runs for real duplicates.
/// </summary>
internal static class Fnv1a64
{
    private const ulong OffsetBasis = 14695981039346656037;
    private const ulong Prime = 1099511628211;

    /// <summary>The FNV-1a 64 hash of <paramref name="data"/>.</summary>
    public static ulong Hash(ReadOnlySpan<byte> data)
    {
        var hash = OffsetBasis;
        foreach (var b in data)
        {
            hash ^= b;
            hash *= Prime;
        }

        return hash;
    }
}
