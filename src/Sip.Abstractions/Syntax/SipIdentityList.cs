namespace SipTraceContext.Sip.Syntax;

/// <summary>
/// Reads the identities of a <c>P-Asserted-Identity</c> (RFC 3325 §9.1) or <c>P-Preferred-Identity</c>
/// (RFC 3325 §9.2) value: a comma-separated list of <c>name-addr</c> / <c>addr-spec</c>, in IMS usually
/// one SIP URI and one TEL URI for the same subscriber.
/// </summary>
internal static class SipIdentityList
{
    // PAssertedID       = "P-Asserted-Identity" HCOLON PAssertedID-value *(COMMA PAssertedID-value)
    // PAssertedID-value = name-addr / addr-spec
    // PPreferredID      = "P-Preferred-Identity" HCOLON PPreferredID-value *(COMMA PPreferredID-value)
    // PPreferredID-value = name-addr / addr-spec
    // (RFC 3325 §9)

    /// <summary>The URI of the first well-formed identity whose scheme is SIP, SIPS or TEL.</summary>
    /// <param name="value">The header value.</param>
    /// <param name="uri">The URI without angle brackets; a slice of <paramref name="value"/>.</param>
    /// <returns>Whether one was found.</returns>
    public static bool TryGetFirstUri(ReadOnlySpan<byte> value, out ReadOnlySpan<byte> uri) =>
        TryFind(value, sip: true, tel: true, out uri);

    /// <summary>The URI of the first well-formed SIP or SIPS identity.</summary>
    /// <param name="value">The header value.</param>
    /// <param name="uri">The URI without angle brackets; a slice of <paramref name="value"/>.</param>
    /// <returns>Whether one was found.</returns>
    public static bool TryGetSipUri(ReadOnlySpan<byte> value, out ReadOnlySpan<byte> uri) =>
        TryFind(value, sip: true, tel: false, out uri);

    /// <summary>The URI of the first well-formed TEL identity.</summary>
    /// <param name="value">The header value.</param>
    /// <param name="uri">The URI without angle brackets; a slice of <paramref name="value"/>.</param>
    /// <returns>Whether one was found.</returns>
    public static bool TryGetTelUri(ReadOnlySpan<byte> value, out ReadOnlySpan<byte> uri) =>
        TryFind(value, sip: false, tel: true, out uri);

    private static bool TryFind(ReadOnlySpan<byte> value, bool sip, bool tel, out ReadOnlySpan<byte> uri)
    {
        foreach (ReadOnlySpan<byte> element in new SipValueList(value))
        {
            if (SipNameAddress.TryParse(element, out SipNameAddress address))
            {
                SipUriScheme scheme = address.Scheme;
                if ((sip && scheme is SipUriScheme.Sip or SipUriScheme.Sips) || (tel && scheme == SipUriScheme.Tel))
                {
                    uri = address.Uri;
                    return true;
                }
            }
        }

        uri = default;
        return false;
    }
}
