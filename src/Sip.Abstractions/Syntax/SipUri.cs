using System.Text;

namespace SipTraceContext.Sip.Syntax;

/// <summary>The parts of a SIP, SIPS or TEL URI that tracing needs: the scheme and the user part (to redact it).</summary>
internal static class SipUri
{
    // SIP-URI  = "sip:" [ userinfo ] hostport uri-parameters [ headers ]
    // SIPS-URI = "sips:" [ userinfo ] hostport uri-parameters [ headers ]
    // userinfo = ( user / telephone-subscriber ) [ ":" password ] "@"
    // (RFC 3261 §25.1; "@" can appear nowhere else in the URI unescaped)
    // telephone-uri        = "tel:" telephone-subscriber
    // telephone-subscriber = global-number / local-number      ; the digits, then *par
    // (RFC 3966 §3; parameters start at the first ";")

    /// <summary>The scheme of <paramref name="uri"/> (compared ignoring case, RFC 3261 §19.1.4).</summary>
    /// <param name="uri">A URI, for example <c>sip:+15551234567@ims.example.net;user=phone</c>.</param>
    /// <returns>The scheme; <see cref="SipUriScheme.Unknown"/> for any other.</returns>
    public static SipUriScheme GetScheme(ReadOnlySpan<byte> uri)
    {
        int colon = uri.IndexOf((byte)':');
        if (colon < 0)
        {
            return SipUriScheme.Unknown;
        }

        ReadOnlySpan<byte> scheme = uri[..colon];
        return Ascii.EqualsIgnoreCase(scheme, "sip"u8) ? SipUriScheme.Sip
            : Ascii.EqualsIgnoreCase(scheme, "sips"u8) ? SipUriScheme.Sips
            : Ascii.EqualsIgnoreCase(scheme, "tel"u8) ? SipUriScheme.Tel
            : SipUriScheme.Unknown;
    }

    /// <summary>
    /// The user part of a SIP/SIPS URI (the <c>userinfo</c> before <c>@</c>, with any password) or the
    /// number of a TEL URI (before its parameters): the part that names a subscriber.
    /// </summary>
    /// <param name="uri">A URI.</param>
    /// <param name="user">The user part; a slice of <paramref name="uri"/>.</param>
    /// <returns><see langword="false"/> for another scheme or a SIP URI without a user part.</returns>
    public static bool TryGetUserPart(ReadOnlySpan<byte> uri, out ReadOnlySpan<byte> user)
    {
        if (TryGetUserPart(uri, out int offset, out int length))
        {
            user = uri.Slice(offset, length);
            return true;
        }

        user = default;
        return false;
    }

    /// <summary>Where the user part lies in <paramref name="uri"/> (see the other overload), for a redactor that rewrites it.</summary>
    /// <param name="uri">A URI.</param>
    /// <param name="offset">The offset of the user part in <paramref name="uri"/>.</param>
    /// <param name="length">Its length (at least 1).</param>
    /// <returns>Whether the URI has a user part.</returns>
    public static bool TryGetUserPart(ReadOnlySpan<byte> uri, out int offset, out int length)
    {
        offset = 0;
        length = 0;
        SipUriScheme scheme = GetScheme(uri);
        if (scheme == SipUriScheme.Unknown)
        {
            return false;
        }

        int start = uri.IndexOf((byte)':') + 1;
        ReadOnlySpan<byte> rest = uri[start..];
        int end = scheme == SipUriScheme.Tel ? rest.IndexOf((byte)';') : rest.IndexOf((byte)'@');
        if (scheme == SipUriScheme.Tel && end < 0)
        {
            end = rest.Length;
        }

        if (end <= 0)
        {
            return false;
        }

        offset = start;
        length = end;
        return true;
    }
}
