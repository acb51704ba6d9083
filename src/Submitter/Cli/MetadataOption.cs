using System.CommandLine;
using System.CommandLine.Parsing;
using Dispatcher.Batches;

namespace Dispatcher.Submitter.Cli;

/// <summary>
/// <c>--metadata key=value</c>, repeated for each pair: kept with the batch and shown back by
/// <c>status</c>, <c>list --json</c> and the Batch API (its <c>metadata</c>), within the Batch
/// API's limits (<see cref="BatchMetadata"/>).
/// </summary>
internal static class MetadataOption
{
    public const string Name = "--metadata";

    public static Option<IReadOnlyDictionary<string, string>?> Create() => new(Name)
    {
        Description = $"A key=value pair kept with the batch and shown by status, list --json and the Batch API; repeat it for more " +
            $"(at most {BatchMetadata.MaxPairs} pairs, keys of at most {BatchMetadata.MaxKeyLength} characters, values of at most {BatchMetadata.MaxValueLength}).",
        Arity = ArgumentArity.ZeroOrMore,
        AllowMultipleArgumentsPerToken = false,
        CustomParser = Parse,
    };

    private static IReadOnlyDictionary<string, string>? Parse(ArgumentResult result)
    {
        if (result.Tokens.Count == 0)
        {
            return null;
        }

        var metadata = BatchMetadata.TryParse(result.Tokens.Select(t => t.Value), Name, out var problem);
        if (problem is not null)
        {
            result.AddError(problem);
        }

        return metadata;
    }
}
