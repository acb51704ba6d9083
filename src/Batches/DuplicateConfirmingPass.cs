using System.Text;

namespace Dispatcher.Batches;

/// <summary>
/// The second validation pass, run only when custom_id hashes repeated. It keeps the actual
/// ids of the suspect hashes alone, so memory follows the number of suspects rather than the
/// file, and a hash collision between different ids is never reported.
/// </summary>
internal sealed class DuplicateConfirmingPass(IReadOnlySet<ulong> suspects, int lastLine, int maxErrors, CustomIdHasher hasher)
{
    private readonly BatchLineParser _parser = new();
    private readonly Dictionary<string, int> _firstLine = new(StringComparer.Ordinal);
    private readonly List<BatchFileError> _errors = [];

    /// <summary>Duplicates in line order; one more than MaxErrors when there are more.</summary>
    public IReadOnlyList<BatchFileError> Errors => _errors;

    /// <summary>
    /// Whether lines after <paramref name="currentLine"/> still matter: the checking pass
    /// stopped at <c>lastLine</c>, and a full list need not grow.
    /// </summary>
    public bool Wants(int currentLine) => currentLine < lastLine && _errors.Count <= maxErrors;

    /// <summary>Looks at the splitter's current line.</summary>
    public void Accept(JsonlLineSplitter splitter)
    {
        if (splitter.IsBlank || splitter.OversizedLength > 0)
        {
            return;
        }

        _parser.Parse(splitter.Line, splitter.LineNumber);
        if (!_parser.HasCustomId || !suspects.Contains(hasher(_parser.CustomId)))
        {
            return;
        }

        var id = Encoding.UTF8.GetString(_parser.CustomId);
        if (_firstLine.TryAdd(id, splitter.LineNumber))
        {
            return;
        }

        _errors.Add(new BatchFileError(splitter.LineNumber, "custom_id", $"duplicate of line {_firstLine[id]}"));
    }
}
