using SipTraceContext.Sip.Internal;

namespace SipTraceContext.Sip.Syntax;

/// <summary>
/// Scanning of RFC 3261 header values that the IMS header parsers share: separators outside
/// quoted strings and angle brackets, quoted-string bounds, and <c>;name=value</c> parameters.
/// </summary>
internal static partial class SipValueScanner
{
    public const byte Quote = (byte)'"';
    public const byte Backslash = (byte)'\\';
    public const byte Semicolon = (byte)';';
    public const byte Comma = (byte)',';
    public const byte Equal = (byte)'=';
    public const byte LeftAngle = (byte)'<';
    public const byte RightAngle = (byte)'>';

    /// <summary>
    /// The offset of the first <paramref name="separator"/> outside a quoted-string and outside
    /// <c>&lt;...&gt;</c>; -1 when there is none (an unterminated quote or bracket runs to the end).
    /// </summary>
    // quoted-string = SWS DQUOTE *(qdtext / quoted-pair ) DQUOTE
    // quoted-pair   = "\" (%x00-09 / %x0B-0C / %x0E-7F)
    public static int IndexOfSeparator(ReadOnlySpan<byte> value, byte separator)
    {
        // Vectorized searches from one separator, quote or bracket to the next; a bracketed URI (quotes in it
        // are not special) and a quoted-string are stepped over whole.
        int at = 0;
        while (true)
        {
            int found = value[at..].IndexOfAny(separator, Quote, LeftAngle);
            if (found < 0)
            {
                return -1;
            }

            at += found;
            byte b = value[at];
            if (b == separator)
            {
                return at;
            }

            int length = b == Quote ? QuotedStringLength(value[at..]) : value[(at + 1)..].IndexOf(RightAngle) + 2;
            if (length < 2)
            {
                return -1;
            }

            at += length;
        }
    }

    /// <summary>
    /// The length of the quoted-string at the start of <paramref name="value"/>, both quotes included;
    /// -1 when it does not start with one or the closing quote is missing.
    /// </summary>
    public static int QuotedStringLength(ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty || value[0] != Quote)
        {
            return -1;
        }

        for (int i = 1; i < value.Length; i++)
        {
            if (value[i] == Backslash)
            {
                i++;
            }
            else if (value[i] == Quote)
            {
                return i + 1;
            }
        }

        return -1;
    }

    /// <summary>
    /// Splits off the next element of a <paramref name="separator"/>-separated list: the element,
    /// trimmed of linear whitespace, and the rest after the separator.
    /// </summary>
    public static ReadOnlySpan<byte> NextElement(scoped ref ReadOnlySpan<byte> rest, byte separator)
    {
        int at = IndexOfSeparator(rest, separator);
        ReadOnlySpan<byte> element;
        if (at < 0)
        {
            element = rest;
            rest = default;
        }
        else
        {
            element = rest[..at];
            rest = rest[(at + 1)..];
        }

        return SipGrammar.TrimLinearWhitespace(element);
    }

    /// <summary>
    /// Checks one <c>generic-param</c> and splits it into name and value, the value without its
    /// quotes (escapes inside are left as written).
    /// </summary>
    // generic-param = token [ EQUAL gen-value ]
    // gen-value     = token / host / quoted-string
    public static bool TrySplitParameter(ReadOnlySpan<byte> parameter, out ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value)
    {
        value = default;
        int equal = parameter.IndexOf(Equal);
        name = SipGrammar.TrimLinearWhitespace(equal < 0 ? parameter : parameter[..equal]);
        if (!SipGrammar.IsToken(name))
        {
            return false;
        }

        if (equal < 0)
        {
            return true;
        }

        return TryGetGenValue(SipGrammar.TrimLinearWhitespace(parameter[(equal + 1)..]), out value);
    }

    /// <summary>A <c>gen-value</c>: a quoted-string (returned without its quotes) or a token or host.</summary>
    public static bool TryGetGenValue(ReadOnlySpan<byte> written, out ReadOnlySpan<byte> value)
    {
        value = default;
        if (!written.IsEmpty && written[0] == Quote)
        {
            if (QuotedStringLength(written) != written.Length || written[1..^1].ContainsAny(SipGrammar.ControlExceptTabBytes))
            {
                return false;
            }

            value = written[1..^1];
            return true;
        }

        if (written.IsEmpty)
        {
            return false;
        }

        // host = hostname / IPv4address / IPv6reference: token characters plus ":" and "[" "]".
        // Most values are tokens: one vectorized check, and the byte loop only for the rest.
        if (!written.ContainsAnyExcept(SipGrammar.TokenBytes))
        {
            value = written;
            return true;
        }

        foreach (byte b in written)
        {
            if (!SipGrammar.TokenBytes.Contains(b) && b is not ((byte)':' or (byte)'[' or (byte)']'))
            {
                return false;
            }
        }

        value = written;
        return true;
    }

    /// <summary>Whether every <c>;</c>-separated parameter of <paramref name="parameters"/> is a valid <c>generic-param</c>.</summary>
    /// <remarks>Empty means no parameters; an empty parameter (<c>a;;b</c>, a trailing <c>;</c>) is invalid.</remarks>
    public static bool AreValidParameters(ReadOnlySpan<byte> parameters)
    {
        if (parameters.IsEmpty)
        {
            return true;
        }

        ReadOnlySpan<byte> rest = parameters;
        while (true)
        {
            int at = IndexOfSeparator(rest, Semicolon);
            ReadOnlySpan<byte> parameter = SipGrammar.TrimLinearWhitespace(at < 0 ? rest : rest[..at]);
            if (!TrySplitParameter(parameter, out _, out _))
            {
                return false;
            }

            if (at < 0)
            {
                return true;
            }

            rest = rest[(at + 1)..];
        }
    }

    /// <summary>
    /// Finds the parameter named <paramref name="wanted"/> (ASCII case-insensitive) in a
    /// <c>;</c>-separated list; its value without quotes, empty for a parameter without a value.
    /// </summary>
    public static bool TryGetParameter(ReadOnlySpan<byte> parameters, ReadOnlySpan<byte> wanted, out ReadOnlySpan<byte> value)
    {
        ReadOnlySpan<byte> rest = parameters;
        while (!rest.IsEmpty)
        {
            ReadOnlySpan<byte> parameter = NextElement(ref rest, Semicolon);
            if (TrySplitParameter(parameter, out ReadOnlySpan<byte> name, out ReadOnlySpan<byte> found) &&
                System.Text.Ascii.EqualsIgnoreCase(name, wanted))
            {
                value = found;
                return true;
            }
        }

        value = default;
        return false;
    }
}
