namespace Dispatcher.Batches;

/// <summary>
/// A Bloom filter over custom_id hashes: a fixed 8 MiB whatever the file's size, where a set of
/// hashes would grow by 16 bytes or more a line. It can only err one way, by calling an id
/// seen when it is not; such ids become suspects that the confirming pass checks exactly, so
/// a false hit costs a second read of the file, never a wrong rejection. With a million ids a
/// false hit happens about twice; with ten million, about one id in ten thousand.
/// </summary>
internal sealed class SeenIds
{
    private const int Bits = 1 << 26;
    private const int Probes = 5;

    private readonly ulong[] _words = new ulong[Bits / 64];

    /// <summary>Records the hash; returns true when it may have been recorded before.</summary>
    public bool CheckAndAdd(ulong hash)
    {
        // Double hashing: the probes are h1 + i·h2 over the two halves of the 64-bit hash.
        var h1 = (uint)hash;
        var h2 = (uint)(hash >> 32) | 1;
        var seen = true;
        for (uint i = 0; i < Probes; i++)
        {
            var bit = (h1 + (i * h2)) & (Bits - 1);
            ref var word = ref _words[bit >> 6];
            var mask = 1UL << (int)(bit & 63);
            seen &= (word & mask) != 0;
            word |= mask;
        }

        return seen;
    }
}
