namespace SipTraceContext.Conventions.Tests;

/// <summary>
/// Finds the string literals of C# source text, skipping comments and character literals, well enough to
/// police naming: regular, verbatim (<c>@"..."</c>), interpolated (<c>$"..."</c>, <c>$@"..."</c>), raw
/// (<c>"""..."""</c>) and UTF-8 (<c>"..."u8</c>) literals. Reports the line and the literal's text up to
/// the end of the literal or an interpolation hole.
/// </summary>
internal static class StringLiteralScanner
{
    public readonly record struct Literal(int Line, string Text);

    public static List<Literal> Scan(string source)
    {
        var literals = new List<Literal>();
        var line = 1;
        var i = 0;
        while (i < source.Length)
        {
            var c = source[i];
            if (c == '\n')
            {
                line++;
                i++;
            }
            else if (c == '/' && Next(source, i) == '/')
            {
                while (i < source.Length && source[i] != '\n')
                {
                    i++;
                }
            }
            else if (c == '/' && Next(source, i) == '*')
            {
                var end = source.IndexOf("*/", i + 2, StringComparison.Ordinal);
                end = end < 0 ? source.Length : end + 2;
                line += Count(source, i, end, '\n');
                i = end;
            }
            else if (c == '\'')
            {
                // A character literal: '"' must not open a string.
                i++;
                while (i < source.Length && source[i] != '\'' && source[i] != '\n')
                {
                    i += source[i] == '\\' ? 2 : 1;
                }

                i++;
            }
            else if (c == '"')
            {
                var prefix = Prefix(source, i);
                var start = i;
                var quotes = 0;
                while (i < source.Length && source[i] == '"')
                {
                    quotes++;
                    i++;
                }

                int end;
                if (quotes >= 3)
                {
                    // Raw string literal: ends at the same number of quotes.
                    var delimiter = new string('"', quotes);
                    end = source.IndexOf(delimiter, i, StringComparison.Ordinal);
                    end = end < 0 ? source.Length : end;
                    var text = source[i..end].TrimStart(' ', '\t', '\r', '\n');
                    literals.Add(new Literal(line, text));
                    line += Count(source, start, end, '\n');
                    i = Math.Min(source.Length, end + quotes);
                    continue;
                }

                if (quotes == 2)
                {
                    // The empty string "".
                    literals.Add(new Literal(line, string.Empty));
                    continue;
                }

                var verbatim = prefix.Contains('@', StringComparison.Ordinal);
                var textStart = i;
                while (i < source.Length)
                {
                    if (verbatim && source[i] == '"' && Next(source, i) == '"')
                    {
                        i += 2;
                    }
                    else if (!verbatim && source[i] == '\\')
                    {
                        i += 2;
                    }
                    else if (source[i] == '"' || (!verbatim && source[i] == '\n'))
                    {
                        break;
                    }
                    else
                    {
                        i++;
                    }
                }

                end = Math.Min(i, source.Length);
                literals.Add(new Literal(line, source[textStart..end]));
                line += Count(source, start, end, '\n');
                i = end + 1;
            }
            else
            {
                i++;
            }
        }

        return literals;
    }

    private static char Next(string source, int i) => i + 1 < source.Length ? source[i + 1] : '\0';

    private static string Prefix(string source, int quote)
    {
        var start = quote;
        while (start > 0 && source[start - 1] is '@' or '$')
        {
            start--;
        }

        return source[start..quote];
    }

    private static int Count(string source, int start, int end, char c)
    {
        var count = 0;
        for (var i = start; i < end && i < source.Length; i++)
        {
            if (source[i] == c)
            {
                count++;
            }
        }

        return count;
    }
}
