using System.Buffers;
using System.Buffers.Text;
using System.Text;
using SipTraceContext.Sip.Internal;

namespace SipTraceContext.Sip.Syntax;

/// <summary>
/// The lenient mode of the value grammar: read what can be read and never reject a whole value for
/// one malformed part. The tracer's tags, redaction and correlators use it, because a message the
/// strict mode refuses (one bad parameter, an unquoted base64 icid) is still a message to trace.
/// Both modes share the lexical pieces: quoted strings, separators outside quotes and brackets.
/// </summary>
internal static partial class SipValueScanner
{
    private const byte Colon = (byte)':';
    private const byte At = (byte)'@';

    private static readonly SearchValues<byte> s_whitespace = SearchValues.Create(" \t\r\n"u8);
    private static readonly SearchValues<byte> s_notInUri = SearchValues.Create(" \t\r\n\"<>"u8);
    private static readonly SearchValues<byte> s_schemeCharacters =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+-."u8);
    private static readonly SearchValues<byte> s_hostEnd = SearchValues.Create(":;?>,"u8);
    private static readonly SearchValues<byte> s_parameterEnd = SearchValues.Create(";, \t\r\n"u8);

    /// <summary>
    /// A header parameter (<c>;name=value</c>) of a value, outside any &lt;URI&gt; and quoted string
    /// (URI parameters are not header parameters), without its quotes. Empty when absent, valueless,
    /// or behind an unterminated quote or bracket. Lenient: other parameters may be malformed.
    /// </summary>
    public static ReadOnlySpan<byte> FindParameter(ReadOnlySpan<byte> value, ReadOnlySpan<byte> name)
    {
        ReadOnlySpan<byte> rest = value;
        while (true)
        {
            int semicolon = IndexOfSeparator(rest, Semicolon);
            if (semicolon < 0)
            {
                return default;
            }

            rest = rest[(semicolon + 1)..];
            if (TryMatchParameter(rest, name, out ReadOnlySpan<byte> parameter))
            {
                return parameter;
            }
        }
    }

    // Whether a parameter list continuing at 'rest' starts with name=value; the value without quotes.
    private static bool TryMatchParameter(ReadOnlySpan<byte> rest, ReadOnlySpan<byte> name, out ReadOnlySpan<byte> parameter)
    {
        parameter = default;
        rest = SipGrammar.TrimWhitespaceStart(rest);
        if (rest.Length <= name.Length || !Ascii.EqualsIgnoreCase(rest[..name.Length], name))
        {
            return false;
        }

        ReadOnlySpan<byte> after = SipGrammar.TrimWhitespaceStart(rest[name.Length..]);
        if (after.IsEmpty || after[0] != Equal)
        {
            return false;
        }

        parameter = SipGrammar.TrimWhitespaceStart(after[1..]);
        if (!parameter.IsEmpty && parameter[0] == Quote)
        {
            // A quoted value may hold ';', ',' and spaces; an unterminated one runs to the end.
            parameter = Unquote(parameter);
            return true;
        }

        int end = parameter.IndexOfAny(s_parameterEnd);
        parameter = end < 0 ? parameter : parameter[..end];
        return true;
    }

    /// <summary>Reads a CSeq value: <c>1*DIGIT LWS Method</c>.</summary>
    public static bool TryParseCSeq(ReadOnlySpan<byte> value, out uint number, out ReadOnlySpan<byte> method)
    {
        method = default;
        if (!Utf8Parser.TryParse(value, out number, out int consumed) || consumed == 0)
        {
            return false;
        }

        ReadOnlySpan<byte> rest = value[consumed..];
        ReadOnlySpan<byte> trimmed = SipGrammar.TrimLinearWhitespaceStart(rest);
        if (trimmed.Length == rest.Length || trimmed.Length == 0)
        {
            return false;
        }

        int end = trimmed.IndexOfAny(s_whitespace);
        method = end < 0 ? trimmed : trimmed[..end];
        return true;
    }

    /// <summary>
    /// Where the user part of a name-addr or addr-spec lies, and where the URI starts (after any
    /// display name): <c>sip:USER@host</c>, <c>sips:USER@host</c>, <c>tel:USER;params</c>. When no URI scheme
    /// starts where the URI should, the user cannot be told apart from the rest, and the whole value is given as
    /// the user part (<paramref name="uriStart"/> 0, <paramref name="userLength"/> the value's length).
    /// </summary>
    /// <param name="value">A From, To or similar header value.</param>
    /// <param name="uriStart">Offset of the URI, or of the '&lt;' that encloses it.</param>
    /// <param name="userStart">Offset of the user part.</param>
    /// <param name="userLength">Length of the user part; 0 when there is none.</param>
    public static void FindUser(ReadOnlySpan<byte> value, out int uriStart, out int userStart, out int userLength)
    {
        uriStart = 0;
        userStart = 0;
        userLength = 0;
        int angle = IndexOfOutsideQuotes(value, LeftAngle);
        int uriEnd;
        int schemeFrom;
        if (angle >= 0)
        {
            uriStart = angle;
            schemeFrom = angle + 1;
            int close = value[schemeFrom..].IndexOf(RightAngle);
            uriEnd = close < 0 ? value.Length : schemeFrom + close;
        }
        else
        {
            schemeFrom = value.Length - SipGrammar.TrimLinearWhitespaceStart(value).Length;
            uriStart = schemeFrom;
            uriEnd = AddrSpecEnd(value, schemeFrom);
        }

        // RFC 3261 puts no whitespace inside the brackets, but a sender that writes '< tel:+1555...>' must not get
        // the number past redaction.
        ReadOnlySpan<byte> uri = value[schemeFrom..uriEnd];
        int leading = uri.Length - SipGrammar.TrimLinearWhitespaceStart(uri).Length;
        schemeFrom += leading;
        uri = uri[leading..];
        if (!StartsWithScheme(uri))
        {
            // An unterminated quote (so no '<' is found outside it), an unquoted display name holding '<', 'tel :',
            // no scheme at all: which bytes are the user is unknown, so all of them are, or a number could stay readable.
            if (!value.Trim(" \t\r\n"u8).IsEmpty)
            {
                uriStart = 0;
                userLength = value.Length;
            }

            return;
        }

        FindUserInUri(uri, out int userOffset, out userLength);
        userStart = schemeFrom + userOffset;
    }

    // An addr-spec (no brackets) cannot have URI parameters: a ';' starts the header parameters (RFC 3261 §20.10). A
    // sender that leaves a user with ';' unbracketed (sip:+1555;npdi@host;tag=1) must not get the number past
    // redaction, so the URI runs to the first ';' after its last '@' that comes before anything no URI holds
    // (whitespace, a quote, an angle bracket: a quoted header parameter may hold an '@').
    private static int AddrSpecEnd(ReadOnlySpan<byte> value, int uriFrom)
    {
        ReadOnlySpan<byte> spec = value[uriFrom..];
        int stop = spec.IndexOfAny(s_notInUri);
        int at = (stop < 0 ? spec : spec[..stop]).LastIndexOf(At);
        int semicolon = spec[(at + 1)..].IndexOf(Semicolon);
        return semicolon < 0 ? value.Length : uriFrom + at + 1 + semicolon;
    }

    // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" (RFC 3986 §3.1)
    private static bool StartsWithScheme(ReadOnlySpan<byte> uri)
    {
        int colon = uri.IndexOf(Colon);
        return colon > 0 && char.IsAsciiLetter((char)uri[0]) && !uri[1..colon].ContainsAnyExcept(s_schemeCharacters);
    }

    /// <summary>
    /// The user part of a bare URI (<c>sip:user@host;params</c>, <c>tel:+15551234;params</c>): a Request-URI, or the
    /// URI taken out of a name-addr, where everything is URI (a <c>;</c> before the <c>@</c> belongs to the user part).
    /// <paramref name="userLength"/> is 0 when it has none.
    /// </summary>
    public static void FindUserInUri(ReadOnlySpan<byte> uri, out int userStart, out int userLength)
    {
        SipUriScheme scheme = SipUri.GetScheme(uri);
        if (SipUri.TryGetUserPart(uri, out userStart, out userLength))
        {
            // SipUri ends a SIP user at the first '@'; a lenient 'sip:john@corp.example@sbc' would leave
            // 'corp.example' readable. No '@' follows the host unescaped, and the host is read after the last one too.
            if (scheme != SipUriScheme.Tel)
            {
                userLength = uri.LastIndexOf(At) - userStart;
            }

            return;
        }

        if (scheme != SipUriScheme.Unknown)
        {
            return;
        }

        // SipUri knows users of SIP and TEL URIs only; an im:, pres: or mailto: address names a person too.
        int colon = uri.IndexOf(Colon);
        int at = colon <= 0 ? -1 : uri[(colon + 1)..].LastIndexOf(At);
        if (at > 0)
        {
            userStart = colon + 1;
            userLength = at;
        }
    }

    /// <summary>The host and port of a SIP or SIPS URI (<c>sip:user@host:port;params</c>); a TEL URI names no host.</summary>
    public static bool TryGetHostPort(ReadOnlySpan<byte> uri, out ReadOnlySpan<byte> host, out int port)
    {
        host = default;
        port = 0;

        // Only SIP URIs name a host; a tel: URI is a phone number, which must not leak into
        // server.address (the privacy options cover From and To, not this).
        if (SipUri.GetScheme(uri) is not (SipUriScheme.Sip or SipUriScheme.Sips))
        {
            return false;
        }

        // The user part may hold ';', '?', ',' and '/' (RFC 3261 user-unreserved; number portability writes
        // sip:+15551234567;npdi;rn=+15550000000@host): only '@' ends it, and cutting at the first ';' instead
        // made the number the host. '@' appears nowhere after the host unescaped; taking the last one also keeps
        // a lenient 'sip:john@corp.example@sbc' user out of the host.
        ReadOnlySpan<byte> rest = uri[(uri.IndexOf(Colon) + 1)..];
        ReadOnlySpan<byte> hostPort = rest[(rest.LastIndexOf(At) + 1)..];
        int end;
        if (hostPort.Length > 0 && hostPort[0] == (byte)'[')
        {
            int close = hostPort.IndexOf((byte)']');
            if (close < 0)
            {
                return false;
            }

            host = hostPort[..(close + 1)];
            end = close + 1;
        }
        else
        {
            end = hostPort.IndexOfAny(s_hostEnd);
            end = end < 0 ? hostPort.Length : end;
            host = hostPort[..end];
        }

        if (end < hostPort.Length && hostPort[end] == Colon)
        {
            _ = Utf8Parser.TryParse(hostPort[(end + 1)..], out port, out _);
        }

        if (host.Length > 0 && host[0] != (byte)'[' && !host.ContainsAnyInRange((byte)'A', (byte)'Z') && !host.ContainsAnyInRange((byte)'a', (byte)'z') && !IsIPv4(host))
        {
            // No letter and not an IPv4 address: a phone number written where the host goes
            // (sip:+15551234567;user=phone), not a host. No hostname is all digits (its last label starts
            // with a letter, RFC 3261 §25.1), so only such numbers are dropped, not lenient hostnames.
            host = default;
            port = 0;
            return false;
        }

        return host.Length > 0;
    }

    // IPv4address = 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT (RFC 3261 §25.1)
    private static bool IsIPv4(ReadOnlySpan<byte> host)
    {
        for (int part = 0; part < 4; part++)
        {
            int dot = host.IndexOf((byte)'.');
            ReadOnlySpan<byte> digits = part < 3 ? (dot < 0 ? default : host[..dot]) : host;
            if (digits.Length is < 1 or > 3 || digits.ContainsAnyExceptInRange((byte)'0', (byte)'9'))
            {
                return false;
            }

            host = part < 3 ? host[(dot + 1)..] : default;
        }

        return true;
    }

    /// <summary>
    /// The icid-value of a P-Charging-Vector value (RFC 7315 §4.6), which is its first parameter: a quoted-string
    /// without its quotes (escapes as written), or the unquoted value up to the next <c>;</c>. The call tracer and
    /// the IMS helpers both read <c>ims.icid</c> here, so the same header gives the same value; the strict
    /// <c>PChargingVector</c> refuses an unquoted base64 icid ('=' is not a token character).
    /// </summary>
    public static ReadOnlySpan<byte> FindChargingId(ReadOnlySpan<byte> value)
    {
        ReadOnlySpan<byte> name = "icid-value"u8;
        ReadOnlySpan<byte> rest = value;
        while (!rest.IsEmpty)
        {
            // A quoted value (icid-value="x;y=z", or another parameter's) may hold ';': only one outside quotes separates.
            int semicolon = IndexOfOutsideQuotes(rest, Semicolon);
            ReadOnlySpan<byte> parameter = (semicolon < 0 ? rest : rest[..semicolon]).Trim(" \t"u8);
            int equal = parameter.IndexOf(Equal);
            if (equal > 0 && Ascii.EqualsIgnoreCase(parameter[..equal].TrimEnd(" \t"u8), name))
            {
                return Unquote(parameter[(equal + 1)..].Trim(" \t"u8));
            }

            rest = semicolon < 0 ? default : rest[(semicolon + 1)..];
        }

        return default;
    }

    /// <summary>
    /// The local-uuid of a Session-ID value (RFC 7989): everything before its parameters, as sent (the strict
    /// <c>SipSessionId</c> refuses a value whose UUIDs or parameters are malformed).
    /// </summary>
    public static ReadOnlySpan<byte> FindSessionUuid(ReadOnlySpan<byte> value)
    {
        int semicolon = value.IndexOf(Semicolon);
        return (semicolon < 0 ? value : value[..semicolon]).Trim(" \t"u8);
    }

    // A quoted-string runs to its closing quote; an unterminated one to the end. An unquoted value is returned as it
    // is: '=' ends no value, which keeps an unquoted base64 icid whole.
    private static ReadOnlySpan<byte> Unquote(ReadOnlySpan<byte> written)
    {
        if (written.IsEmpty || written[0] != Quote)
        {
            return written;
        }

        int length = QuotedStringLength(written);
        return length < 0 ? written[1..] : written[1..(length - 1)];
    }

    // The offset of the first 'wanted' outside quoted-strings (angle brackets are not special); -1 when none,
    // or when an unterminated quote comes first.
    private static int IndexOfOutsideQuotes(ReadOnlySpan<byte> value, byte wanted)
    {
        // One vectorized search to the next quote or wanted byte; a quoted-string is stepped over whole.
        int from = 0;
        while (true)
        {
            int found = value[from..].IndexOfAny(wanted, Quote);
            if (found < 0)
            {
                return -1;
            }

            found += from;
            if (value[found] == wanted)
            {
                return found;
            }

            int length = QuotedStringLength(value[found..]);
            if (length < 0)
            {
                return -1;
            }

            from = found + length;
        }
    }
}
