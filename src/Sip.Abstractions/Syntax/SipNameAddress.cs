using SipTraceContext.Sip.Internal;

namespace SipTraceContext.Sip.Syntax;

/// <summary>
/// A <c>name-addr</c> or <c>addr-spec</c> with its header parameters, as in From, To, Contact and the
/// identity headers: <c>"Alice" &lt;sip:alice@example.com&gt;;tag=1928</c> or <c>sip:alice@example.com;tag=1928</c>.
/// </summary>
internal readonly ref struct SipNameAddress
{
    // name-addr    = [ display-name ] LAQUOT addr-spec RAQUOT
    // addr-spec    = SIP-URI / SIPS-URI / absoluteURI
    // display-name = *(token LWS) / quoted-string
    // (RFC 3261 §25.1. Without angle brackets, everything after the first ";" is a header
    //  parameter, not a URI parameter: RFC 3261 §20.10)

    private SipNameAddress(ReadOnlySpan<byte> displayName, ReadOnlySpan<byte> uri, ReadOnlySpan<byte> parameters, bool hasAngleBrackets)
    {
        DisplayName = displayName;
        Uri = uri;
        Parameters = parameters;
        HasAngleBrackets = hasAngleBrackets;
    }

    /// <summary>The display name without quotes (escapes left as written); empty when absent.</summary>
    public ReadOnlySpan<byte> DisplayName { get; }

    /// <summary>The URI, without angle brackets.</summary>
    public ReadOnlySpan<byte> Uri { get; }

    /// <summary>The header parameters after the URI (after <c>&gt;</c>, or after the first <c>;</c> of an addr-spec), without the leading <c>;</c>.</summary>
    public ReadOnlySpan<byte> Parameters { get; }

    /// <summary>Whether the URI was written in angle brackets (the <c>name-addr</c> form).</summary>
    public bool HasAngleBrackets { get; }

    /// <summary>The scheme of <see cref="Uri"/>.</summary>
    public SipUriScheme Scheme => SipUri.GetScheme(Uri);

    /// <summary>Finds a header parameter by name (ASCII case-insensitive), for example <c>tag</c>.</summary>
    /// <param name="name">The parameter name.</param>
    /// <param name="value">Its value without quotes; empty for a parameter without a value.</param>
    /// <returns>Whether the parameter is present.</returns>
    public bool TryGetParameter(ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value) =>
        SipValueScanner.TryGetParameter(Parameters, name, out value);

    /// <summary>Parses one <c>name-addr</c> or <c>addr-spec</c> with optional parameters.</summary>
    /// <param name="value">One header value or list element.</param>
    /// <param name="address">The parts; spans point into <paramref name="value"/>.</param>
    /// <returns><see langword="false"/> when there is no URI with a scheme, a quote or bracket is not closed, or a parameter is malformed; never throws.</returns>
    public static bool TryParse(ReadOnlySpan<byte> value, out SipNameAddress address)
    {
        address = default;
        ReadOnlySpan<byte> text = SipGrammar.TrimLinearWhitespace(value);
        ReadOnlySpan<byte> displayName = default;
        ReadOnlySpan<byte> uri;
        ReadOnlySpan<byte> after;
        bool angle;
        if (!text.IsEmpty && text[0] == SipValueScanner.Quote)
        {
            int quoted = SipValueScanner.QuotedStringLength(text);
            if (quoted < 0)
            {
                return false;
            }

            displayName = text[1..(quoted - 1)];
            text = SipGrammar.TrimLinearWhitespace(text[quoted..]);
            if (text.IsEmpty || text[0] != SipValueScanner.LeftAngle)
            {
                return false;
            }
        }

        int left = text.IndexOf(SipValueScanner.LeftAngle);
        if (left >= 0)
        {
            if (displayName.IsEmpty)
            {
                displayName = SipGrammar.TrimLinearWhitespace(text[..left]);
            }

            int right = text[left..].IndexOf(SipValueScanner.RightAngle);
            if (right < 0)
            {
                return false;
            }

            uri = SipGrammar.TrimLinearWhitespace(text[(left + 1)..(left + right)]);
            after = SipGrammar.TrimLinearWhitespace(text[(left + right + 1)..]);
            angle = true;
            if (!after.IsEmpty)
            {
                if (after[0] != SipValueScanner.Semicolon)
                {
                    return false;
                }

                after = SipGrammar.TrimLinearWhitespace(after[1..]);
                if (after.IsEmpty)
                {
                    return false; // a ";" with no parameter after it
                }
            }
        }
        else
        {
            int semicolon = text.IndexOf(SipValueScanner.Semicolon);
            uri = SipGrammar.TrimWhitespaceEnd(semicolon < 0 ? text : text[..semicolon]);
            after = semicolon < 0 ? default : SipGrammar.TrimLinearWhitespace(text[(semicolon + 1)..]);
            angle = false;
            if (semicolon >= 0 && after.IsEmpty)
            {
                return false;
            }
        }

        if (!IsUri(uri) || !SipValueScanner.AreValidParameters(after))
        {
            return false;
        }

        address = new SipNameAddress(displayName, uri, after, angle);
        return true;
    }

    // absoluteURI = scheme ":" ( hier-part / opaque-part ); scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
    // No URI holds whitespace, a control byte, a quote or an angle bracket unescaped.
    private static bool IsUri(ReadOnlySpan<byte> uri)
    {
        int colon = uri.IndexOf((byte)':');
        if (colon <= 0 || colon == uri.Length - 1 || !char.IsAsciiLetter((char)uri[0]))
        {
            return false;
        }

        foreach (byte b in uri[..colon])
        {
            if (!char.IsAsciiLetterOrDigit((char)b) && b is not ((byte)'+' or (byte)'-' or (byte)'.'))
            {
                return false;
            }
        }

        foreach (byte b in uri)
        {
            if (b <= SipGrammar.SP || b is 0x7F or SipValueScanner.Quote or SipValueScanner.LeftAngle or SipValueScanner.RightAngle)
            {
                return false;
            }
        }

        return true;
    }
}
