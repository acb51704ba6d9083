using System.Globalization;
using System.Text;

namespace Integration.Tests.Deployment.Yaml;

/// <summary>
/// Reads the YAML the deployment files use, into dictionaries, lists and strings: block mappings
/// and sequences (also a sequence at its key's indentation), single-line flow collections, plain,
/// single- and double-quoted scalars, literal and folded block scalars, comments and several
/// documents per file. Anything else (anchors, aliases, tags, tabs in indentation, duplicate keys,
/// stray indentation) is rejected with the line number, so a file this accepts is well-formed YAML
/// in the subset, and a file that needs more YAML fails loudly rather than being misread.
/// No YAML library is among the project's packages, and these checks need no more than this.
/// </summary>
public static class YamlSubset
{
    /// <summary>Every document of the text; a document is a mapping, a sequence, a string or null.</summary>
    public static IReadOnlyList<object?> ParseDocuments(string text)
    {
        var documents = new List<object?>();
        var current = new List<Line>();
        var number = 0;
        foreach (var raw in text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n'))
        {
            number++;
            if (raw == "---" || raw.StartsWith("--- ", StringComparison.Ordinal) || raw.StartsWith("---\t", StringComparison.Ordinal))
            {
                documents.Add(new Parser(current).ParseDocument());
                current = [];
                continue;
            }

            current.Add(new Line(number, raw));
        }

        documents.Add(new Parser(current).ParseDocument());
        // A leading '---' or a trailing one leaves an empty document that is not really there.
        return documents.Where((d, i) => d is not null || documents.Count == 1).ToList();
    }

    private sealed record Line(int Number, string Raw)
    {
        public int Indent { get; } = CountIndent(Number, Raw);

        public string Content { get; } = StripComment(Raw).Trim();

        public bool IsBlank => Content.Length == 0;

        private static int CountIndent(int number, string raw)
        {
            var i = 0;
            while (i < raw.Length && raw[i] == ' ')
            {
                i++;
            }

            if (i < raw.Length && raw[i] == '\t' && raw.Trim().Length > 0)
            {
                throw new FormatException($"line {number}: tab in indentation");
            }

            return i;
        }
    }

    private sealed class Parser(List<Line> lines)
    {
        private int _next;

        public object? ParseDocument()
        {
            SkipBlank();
            if (_next >= lines.Count)
            {
                return null;
            }

            var value = ParseNode(lines[_next].Indent);
            SkipBlank();
            if (_next < lines.Count)
            {
                throw Error(lines[_next], "content after the end of the document's top-level node (check indentation)");
            }

            return value;
        }

        private object? ParseNode(int indent)
        {
            SkipBlank();
            var line = lines[_next];
            if (IsSequenceItem(line.Content))
            {
                return ParseSequence(line.Indent);
            }

            if (FindMappingColon(line.Content) >= 0)
            {
                return ParseMapping(line.Indent);
            }

            _next++;
            return ParseInlineValue(line, line.Content, indent);
        }

        private Dictionary<string, object?> ParseMapping(int indent)
        {
            var map = new Dictionary<string, object?>(StringComparer.Ordinal);
            while (true)
            {
                SkipBlank();
                if (_next >= lines.Count)
                {
                    return map;
                }

                var line = lines[_next];
                if (line.Indent < indent || (line.Indent == indent && IsSequenceItem(line.Content)))
                {
                    return map;
                }

                if (line.Indent > indent)
                {
                    throw Error(line, $"unexpected indentation ({line.Indent} spaces inside a mapping at {indent})");
                }

                var colon = FindMappingColon(line.Content);
                if (colon < 0)
                {
                    throw Error(line, "expected 'key: value'");
                }

                var key = Unquote(line, line.Content[..colon].Trim());
                if (!map.TryAdd(key, null))
                {
                    throw Error(line, $"duplicate key '{key}'");
                }

                _next++;
                map[key] = ParseValueAfter(line, line.Content[(colon + 1)..].Trim(), indent);
            }
        }

        private List<object?> ParseSequence(int indent)
        {
            var list = new List<object?>();
            while (true)
            {
                SkipBlank();
                if (_next >= lines.Count)
                {
                    return list;
                }

                var line = lines[_next];
                if (line.Indent < indent || (line.Indent == indent && !IsSequenceItem(line.Content)))
                {
                    return list;
                }

                if (line.Indent > indent)
                {
                    throw Error(line, $"unexpected indentation ({line.Indent} spaces inside a sequence at {indent})");
                }

                var rest = line.Content.Length == 1 ? "" : line.Content[2..].TrimStart();
                if (rest.Length > 0 && FindMappingColon(rest) >= 0 && rest[0] is not ('[' or '{' or '"' or '\''))
                {
                    // "- key: value" opens a mapping whose keys sit two columns in.
                    var itemIndent = line.Indent + (line.Content.Length - rest.Length) ;
                    lines[_next] = new Line(line.Number, new string(' ', itemIndent) + line.Raw.TrimStart()[(line.Content.Length - rest.Length)..]);
                    list.Add(ParseMapping(itemIndent));
                    continue;
                }

                _next++;
                list.Add(ParseValueAfter(line, rest, indent));
            }
        }

        private object? ParseValueAfter(Line line, string value, int indent)
        {
            if (value.Length > 0)
            {
                return ParseInlineValue(line, value, indent);
            }

            SkipBlank();
            if (_next >= lines.Count)
            {
                return null;
            }

            var next = lines[_next];
            if (next.Indent > indent)
            {
                return ParseNode(next.Indent);
            }

            return next.Indent == indent && IsSequenceItem(next.Content) ? ParseSequence(indent) : null;
        }

        private object? ParseInlineValue(Line line, string value, int indent)
        {
            switch (value[0])
            {
                case '&' or '*' or '!':
                    throw Error(line, "anchors, aliases and tags are not used in these files");
                case '|' or '>':
                    return ParseBlockScalar(line, value, indent);
                case '[' or '{':
                    var flow = new FlowReader(line, value);
                    var result = flow.ReadValue();
                    flow.ExpectEnd();
                    return result;
                default:
                    return Unquote(line, value);
            }
        }

        private string ParseBlockScalar(Line header, string indicator, int parentIndent)
        {
            if (indicator is not ("|" or "|-" or ">" or ">-" or "|+" or ">+"))
            {
                throw Error(header, $"unsupported block scalar header '{indicator}'");
            }

            var body = new List<string>();
            var blockIndent = -1;
            while (_next < lines.Count)
            {
                var raw = lines[_next].Raw;
                if (raw.Trim().Length == 0)
                {
                    body.Add("");
                    _next++;
                    continue;
                }

                var indent = raw.Length - raw.TrimStart(' ').Length;
                if (indent <= parentIndent)
                {
                    break;
                }

                if (blockIndent < 0)
                {
                    blockIndent = indent;
                }
                else if (indent < blockIndent)
                {
                    throw Error(lines[_next], "block scalar line indented less than its first line");
                }

                body.Add(raw[blockIndent..]);
                _next++;
            }

            while (body.Count > 0 && body[^1].Length == 0)
            {
                body.RemoveAt(body.Count - 1);
            }

            var text = indicator[0] == '|' ? string.Join('\n', body) : string.Join(' ', body.Select(l => l.Trim()));
            return indicator.EndsWith('-') ? text : text + "\n";
        }

        private void SkipBlank()
        {
            while (_next < lines.Count && lines[_next].IsBlank)
            {
                _next++;
            }
        }
    }

    private sealed class FlowReader(Line line, string text)
    {
        private int _at;

        public object? ReadValue()
        {
            SkipSpaces();
            if (_at >= text.Length)
            {
                throw Error(line, "flow collection ends early");
            }

            return text[_at] switch
            {
                '[' => ReadSequence(),
                '{' => ReadMapping(),
                _ => ReadScalar(),
            };
        }

        public void ExpectEnd()
        {
            SkipSpaces();
            if (_at != text.Length)
            {
                throw Error(line, $"unexpected '{text[_at..]}' after a flow collection");
            }
        }

        private List<object?> ReadSequence()
        {
            _at++;
            var list = new List<object?>();
            SkipSpaces();
            if (Peek() == ']')
            {
                _at++;
                return list;
            }

            while (true)
            {
                list.Add(ReadValue());
                SkipSpaces();
                var c = Take();
                if (c == ']')
                {
                    return list;
                }

                if (c != ',')
                {
                    throw Error(line, "expected ',' or ']' in a flow sequence");
                }
            }
        }

        private Dictionary<string, object?> ReadMapping()
        {
            _at++;
            var map = new Dictionary<string, object?>(StringComparer.Ordinal);
            SkipSpaces();
            if (Peek() == '}')
            {
                _at++;
                return map;
            }

            while (true)
            {
                var key = ReadScalar() ?? throw Error(line, "empty key in a flow mapping");
                SkipSpaces();
                if (Take() != ':')
                {
                    throw Error(line, $"expected ':' after '{key}' in a flow mapping");
                }

                if (!map.TryAdd(key, ReadValue()))
                {
                    throw Error(line, $"duplicate key '{key}'");
                }

                SkipSpaces();
                var c = Take();
                if (c == '}')
                {
                    return map;
                }

                if (c != ',')
                {
                    throw Error(line, "expected ',' or '}' in a flow mapping");
                }
            }
        }

        private string? ReadScalar()
        {
            SkipSpaces();
            var start = _at;
            if (Peek() is '"' or '\'')
            {
                var quote = text[_at++];
                while (_at < text.Length && (text[_at] != quote || (quote == '"' && text[_at - 1] == '\\' && text[_at - 2] != '\\')))
                {
                    _at++;
                }

                if (_at >= text.Length)
                {
                    throw Error(line, "unterminated quoted scalar");
                }

                _at++;
                return Unquote(line, text[start.._at]);
            }

            // A plain scalar in a flow collection ends at ',', ']', '}' or ': '.
            while (_at < text.Length && text[_at] is not (',' or ']' or '}')
                   && !(text[_at] == ':' && (_at + 1 == text.Length || text[_at + 1] is ' ' or ',' or ']' or '}')))
            {
                _at++;
            }

            var plain = text[start.._at].Trim();
            return plain.Length == 0 ? null : Unquote(line, plain);
        }

        private char Peek() => _at < text.Length ? text[_at] : '\0';

        private char Take() => _at < text.Length ? text[_at++] : '\0';

        private void SkipSpaces()
        {
            while (_at < text.Length && text[_at] == ' ')
            {
                _at++;
            }
        }
    }

    private static bool IsSequenceItem(string content) => content == "-" || content.StartsWith("- ", StringComparison.Ordinal);

    // The colon that ends a block mapping key: followed by a space or the end of the line, outside quotes and brackets.
    private static int FindMappingColon(string content)
    {
        if (content.Length == 0 || content[0] is '[' or '{' or '|' or '>')
        {
            return -1;
        }

        var quote = '\0';
        for (var i = 0; i < content.Length; i++)
        {
            var c = content[i];
            if (quote != '\0')
            {
                if (c == quote && !(quote == '"' && content[i - 1] == '\\'))
                {
                    quote = '\0';
                }

                continue;
            }

            if ((c is '"' or '\'') && i == 0)
            {
                quote = c;
            }
            else if (c == ':' && (i + 1 == content.Length || content[i + 1] == ' '))
            {
                return i;
            }
        }

        return -1;
    }

    private static string StripComment(string raw)
    {
        var quote = '\0';
        for (var i = 0; i < raw.Length; i++)
        {
            var c = raw[i];
            if (quote != '\0')
            {
                if (c == quote && !(quote == '"' && raw[i - 1] == '\\'))
                {
                    quote = '\0';
                }
            }
            else if (c is '"' or '\'' && (i == 0 || raw[i - 1] is ' ' or '[' or '{' or ',' or ':' or '-'))
            {
                quote = c;
            }
            else if (c == '#' && (i == 0 || raw[i - 1] is ' ' or '\t'))
            {
                return raw[..i];
            }
        }

        return raw;
    }

    private static string Unquote(Line line, string scalar)
    {
        if (scalar.Length >= 2 && scalar[0] == '\'' && scalar[^1] == '\'')
        {
            return scalar[1..^1].Replace("''", "'", StringComparison.Ordinal);
        }

        if (scalar.Length >= 2 && scalar[0] == '"' && scalar[^1] == '"')
        {
            var text = new StringBuilder();
            for (var i = 1; i < scalar.Length - 1; i++)
            {
                if (scalar[i] != '\\')
                {
                    text.Append(scalar[i]);
                    continue;
                }

                i++;
                text.Append(scalar[i] switch
                {
                    'n' => "\n",
                    't' => "\t",
                    'r' => "\r",
                    '"' => "\"",
                    '\\' => "\\",
                    '/' => "/",
                    '0' => "\0",
                    _ => throw Error(line, $"unsupported escape '\\{scalar[i]}'"),
                });
            }

            return text.ToString();
        }

        if (scalar[0] is '"' or '\'' || (scalar.Length > 0 && scalar[^1] is '"' or '\'' && scalar.Count(c => c == scalar[^1]) % 2 == 1))
        {
            throw Error(line, $"unbalanced quotes in '{scalar}'");
        }

        if (scalar[0] is '&' or '*' or '!' or '%' or '@' or '`')
        {
            throw Error(line, $"a plain scalar cannot start with '{scalar[0]}'");
        }

        return scalar;
    }

    private static FormatException Error(Line line, string message) =>
        new(string.Create(CultureInfo.InvariantCulture, $"line {line.Number}: {message}: {line.Raw.Trim()}"));
}
