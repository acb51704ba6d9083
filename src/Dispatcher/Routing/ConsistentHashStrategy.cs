using Dispatcher.Catalog;
namespace Dispatcher.Routing;

/// <summary>
/// Sends every job with the same session key to the same deployment, so a provider's prompt
/// cache keeps serving the session. Jobs without a session key are spread by their job id.
/// </summary>
/// <remarks>
/// Rendezvous (highest random weight) hashing: each candidate scores hash(key, deployment id)
/// and the highest score wins. Removing a deployment remaps only the keys it held, and a new
/// deployment takes about 1/n of the keys, every one of them from the others, without a ring
/// to build or keep in step with the candidate set. The hash is 64-bit FNV-1a over the UTF-16
/// code units (low byte first), finished with the MurmurHash3 avalanche step because FNV
/// alone barely spreads a difference in the last characters (ids like <c>a-1</c>, <c>a-2</c>)
/// into the high bits that decide the comparison. It is fixed, unlike
/// <see cref="string.GetHashCode()"/>, which is randomized per process: a key maps to the same
/// deployment in every process and after every restart.
/// </remarks>
public sealed class ConsistentHashStrategy : IRoutingStrategy
{
    private const ulong OffsetBasis = 14695981039346656037;
    private const ulong Prime = 1099511628211;

    /// <inheritdoc />
    public string Name => StrategyNames.ConsistentHash;

    /// <inheritdoc />
    public int Pick(RoutingRequest request, ReadOnlySpan<RoutingCandidate> candidates)
    {
        var key = KeyState(request);
        var best = 0;
        var bestScore = 0UL;
        for (var i = 0; i < candidates.Length; i++)
        {
            var score = Avalanche(Append(key, candidates[i].Deployment.Id));
            // Strictly greater: an exact tie (1 in 2^64) keeps catalog order.
            if (i == 0 || score > bestScore)
            {
                best = i;
                bestScore = score;
            }
        }

        return best;
    }

    // The hash state after the key, shared by every candidate's score. The key's length and a
    // tag for its kind close it off, so ("ab", "c") and ("a", "bc") do not hash alike and a
    // session key never collides with a job id by construction.
    private static ulong KeyState(RoutingRequest request)
    {
        if (!string.IsNullOrEmpty(request.SessionKey))
        {
            var state = Append(OffsetBasis, request.SessionKey);
            state = AppendInt32(state, request.SessionKey.Length);
            return AppendByte(state, (byte)'s');
        }

        Span<byte> id = stackalloc byte[16];
        _ = request.JobId.TryWriteBytes(id);
        var jobState = OffsetBasis;
        foreach (var b in id)
        {
            jobState = AppendByte(jobState, b);
        }

        return AppendByte(jobState, (byte)'j');
    }

    private static ulong Append(ulong state, ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            state = AppendByte(state, (byte)c);
            state = AppendByte(state, (byte)(c >> 8));
        }

        return state;
    }

    private static ulong AppendInt32(ulong state, int value)
    {
        for (var shift = 0; shift < 32; shift += 8)
        {
            state = AppendByte(state, (byte)(value >> shift));
        }

        return state;
    }

    private static ulong AppendByte(ulong state, byte value) => (state ^ value) * Prime;

    // MurmurHash3's fmix64: every input bit flips each output bit with probability about 1/2.
    private static ulong Avalanche(ulong h)
    {
        h ^= h >> 33;
        h *= 0xff51afd7ed558ccd;
        h ^= h >> 33;
        h *= 0xc4ceb9fe1a85ec53;
        h ^= h >> 33;
        return h;
    }
}
