using System.Text;
using Dispatcher.Catalog;
using Dispatcher.Contracts;

namespace Dispatcher.Batches;

/// <summary>
/// Which endpoints each model group of a catalog serves, so a batch file is checked against the
/// catalog that will run it: a line whose group has deployments, none of which serves its url,
/// would only end failed, so it is rejected before anything is published. A group the catalog
/// does not hold is left to the dispatcher, as before.
/// </summary>
/// <remarks>
/// Looked up once per line without a string for the group: its UTF-8 bytes are decoded onto the
/// stack and matched through the dictionary's span lookup, so a million-line file allocates nothing
/// here unless a line is rejected.
/// </remarks>
internal sealed class EndpointCoverage
{
    private const int MaxStackChars = 256;

    private readonly CatalogOptions _catalog;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _served;

    /// <summary>The coverage of <paramref name="catalog"/>'s deployments.</summary>
    public EndpointCoverage(CatalogOptions catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        _catalog = catalog;
        var served = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var deployment in catalog.Deployments)
        {
            served.TryGetValue(deployment.ModelGroup, out var bits);
            foreach (var url in deployment.ServedEndpoints)
            {
                bits |= Bit(url);
            }

            served[deployment.ModelGroup] = bits;
        }

        _served = served.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>
    /// Why no deployment of the group <paramref name="model"/> (UTF-8) serves <paramref name="url"/>;
    /// null when one does or the catalog has no such group.
    /// </summary>
    public string? Problem(ReadOnlySpan<byte> model, string url)
    {
        var bit = Bit(url);
        int bits;
        if (Encoding.UTF8.GetMaxCharCount(model.Length) <= MaxStackChars)
        {
            Span<char> chars = stackalloc char[MaxStackChars];
            var length = Encoding.UTF8.GetChars(model, chars);
            if (!_served.TryGetValue(chars[..length], out bits))
            {
                return null;
            }
        }
        else if (!_served.Dictionary.TryGetValue(Encoding.UTF8.GetString(model), out bits))
        {
            return null;
        }

        return (bits & bit) != 0 ? null : _catalog.UnservedEndpoint(Encoding.UTF8.GetString(model), url);
    }

    private static int Bit(string url)
    {
        var all = Endpoints.All;
        for (var i = 0; i < all.Count; i++)
        {
            if (string.Equals(all[i], url, StringComparison.Ordinal))
            {
                return 1 << i;
            }
        }

        return 0;
    }
}
