using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Dispatcher.BatchApi;

/// <summary>
/// The Batch API's bearer key, read once from the environment variable <see cref="BatchApiOptions.KeyVariable"/>
/// names. Only its SHA-256 is kept; a presented key is hashed and the two hashes compared in
/// constant time, so neither the key's bytes nor its length leak through timing.
/// </summary>
internal sealed class ApiKey
{
    private readonly byte[]? _hash;

    public ApiKey(IOptions<BatchApiOptions> options)
    {
        Variable = options.Value.KeyVariable;
        var key = Environment.GetEnvironmentVariable(Variable);
        _hash = string.IsNullOrEmpty(key) ? null : SHA256.HashData(Encoding.UTF8.GetBytes(key));
    }

    /// <summary>The environment variable the key comes from (its name, never its value, may be shown).</summary>
    public string Variable { get; }

    /// <summary>Whether a key is configured; without one every call is refused.</summary>
    public bool IsConfigured => _hash is not null;

    /// <summary>Whether <paramref name="presented"/> is the key.</summary>
    public bool Matches(string? presented)
    {
        if (_hash is null || string.IsNullOrEmpty(presented))
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(_hash, SHA256.HashData(Encoding.UTF8.GetBytes(presented)));
    }
}
