using SipTraceContext.Sip.Internal;
using SipTraceContext.Sip.Syntax;

namespace SipTraceContext.Sip.Ims;

/// <summary>
/// One <c>access-net-spec</c> of a <c>P-Access-Network-Info</c> header (RFC 7315 §5.4, 3GPP TS 24.229
/// §7.2A.4): the access type (<c>3GPP-E-UTRAN-FDD</c>, <c>3GPP-NR-TDD</c>, <c>IEEE-802.11</c>, ...) and
/// its parameters (<c>utran-cell-id-3gpp</c>, <c>network-provided</c>, ...).
/// </summary>
internal readonly ref struct PAccessNetworkInfo
{
    // P-Access-Network-Info = "P-Access-Network-Info" HCOLON access-net-spec *(COMMA access-net-spec)
    // access-net-spec       = (access-type / access-class) *(SEMI access-info)
    // access-type           = "IEEE-802.11" / "IEEE-802.11a" / ... / "3GPP-E-UTRAN-FDD"
    //                         / "3GPP-E-UTRAN-TDD" / "3GPP-NR-FDD" / "3GPP-NR-TDD" / ... / token
    // access-info           = cgi-3gpp / utran-cell-id-3gpp / dsl-location / i-wlan-node-id
    //                         / ci-3gpp2 / eth-location / np / ... / extension-access-info
    // np                    = "network-provided"
    // extension-access-info = generic-param
    // (RFC 7315 §5.4; the access types and cell identities of each radio are listed in TS 24.229 §7.2A.4)

    private PAccessNetworkInfo(ReadOnlySpan<byte> accessType, ReadOnlySpan<byte> parameters)
    {
        AccessType = accessType;
        Parameters = parameters;
    }

    /// <summary>The access type or access class token as written, for example <c>3GPP-E-UTRAN-FDD</c>.</summary>
    public ReadOnlySpan<byte> AccessType { get; }

    /// <summary>The parameters after the first <c>;</c>, as written; empty when there are none.</summary>
    public ReadOnlySpan<byte> Parameters { get; }

    /// <summary>Whether the entry carries <c>network-provided</c>: the P-CSCF or another network node wrote it, not the UE.</summary>
    public bool IsNetworkProvided => TryGetParameter("network-provided"u8, out _);

    /// <summary>Finds a parameter by name (ASCII case-insensitive).</summary>
    /// <param name="name">The parameter name, for example <c>utran-cell-id-3gpp</c>.</param>
    /// <param name="value">Its value without quotes; empty for a parameter without a value.</param>
    /// <returns>Whether the parameter is present.</returns>
    public bool TryGetParameter(ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value) =>
        SipValueScanner.TryGetParameter(Parameters, name, out value);

    /// <summary>The cell identity: <c>utran-cell-id-3gpp</c> (used by UTRAN, E-UTRAN and NR access types), else <c>cgi-3gpp</c> (GERAN).</summary>
    /// <param name="cellId">The value without quotes.</param>
    /// <returns>Whether either parameter is present with a value.</returns>
    public bool TryGetCellId(out ReadOnlySpan<byte> cellId) =>
        (TryGetParameter("utran-cell-id-3gpp"u8, out cellId) && !cellId.IsEmpty) ||
        (TryGetParameter("cgi-3gpp"u8, out cellId) && !cellId.IsEmpty);

    /// <summary>Parses the first <c>access-net-spec</c> of a <c>P-Access-Network-Info</c> value.</summary>
    /// <param name="value">The header value, or one element of it from <see cref="SipValueList"/>.</param>
    /// <param name="info">The access type and parameters; spans point into <paramref name="value"/>.</param>
    /// <returns><see langword="false"/> when the access type is not a token or a parameter is not a <c>generic-param</c>; never throws.</returns>
    public static bool TryParse(ReadOnlySpan<byte> value, out PAccessNetworkInfo info)
    {
        info = default;
        ReadOnlySpan<byte> rest = value;
        ReadOnlySpan<byte> first = SipValueScanner.NextElement(ref rest, SipValueScanner.Comma);
        int semicolon = first.IndexOf(SipValueScanner.Semicolon);
        ReadOnlySpan<byte> accessType = SipGrammar.TrimLinearWhitespace(semicolon < 0 ? first : first[..semicolon]);
        ReadOnlySpan<byte> parameters = semicolon < 0 ? default : SipGrammar.TrimLinearWhitespace(first[(semicolon + 1)..]);
        if (!SipGrammar.IsToken(accessType) || (semicolon >= 0 && parameters.IsEmpty) || !SipValueScanner.AreValidParameters(parameters))
        {
            return false;
        }

        info = new PAccessNetworkInfo(accessType, parameters);
        return true;
    }

    /// <summary>
    /// Parses the first entry that carries <c>network-provided</c> (the one the network vouches
    /// for, RFC 7315 §5.4), skipping entries that do not or that are malformed.
    /// </summary>
    /// <param name="value">The header value.</param>
    /// <param name="info">The entry found.</param>
    /// <returns>Whether a well-formed network-provided entry was found.</returns>
    public static bool TryParseNetworkProvided(ReadOnlySpan<byte> value, out PAccessNetworkInfo info)
    {
        foreach (ReadOnlySpan<byte> element in new SipValueList(value))
        {
            if (TryParse(element, out info) && info.IsNetworkProvided)
            {
                return true;
            }
        }

        info = default;
        return false;
    }
}
