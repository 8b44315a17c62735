using SipTraceContext.Sip.Internal;
using SipTraceContext.Sip.Syntax;

namespace SipTraceContext.Sip.Ims;

/// <summary>
/// A <c>P-Charging-Vector</c> header value (RFC 7315 §5.6, 3GPP TS 24.229 §7.2A.5): the IMS
/// charging identifier and the inter-operator identifiers, read without allocating.
/// </summary>
internal readonly ref struct PChargingVector
{
    // P-Charging-Vector = "P-Charging-Vector" HCOLON icid-value *(SEMI charge-params)
    // charge-params     = icid-gen-addr / orig-ioi / term-ioi / transit-ioi / related-icid
    //                     / related-icid-gen-addr / generic-param
    // icid-value        = "icid-value" EQUAL gen-value
    // icid-gen-addr     = "icid-generated-at" EQUAL host
    // orig-ioi          = "orig-ioi" EQUAL gen-value
    // term-ioi          = "term-ioi" EQUAL gen-value
    // (RFC 7315 §5.6; gen-value = token / host / quoted-string, RFC 3261 §25.1)

    private PChargingVector(ReadOnlySpan<byte> value, ReadOnlySpan<byte> icidValue)
    {
        Parameters = value;
        IcidValue = icidValue;
    }

    /// <summary>The IMS charging identity (<c>icid-value</c>), without quotes when it was quoted.</summary>
    public ReadOnlySpan<byte> IcidValue { get; }

    /// <summary>The host that generated the ICID (<c>icid-generated-at</c>); empty when absent.</summary>
    public ReadOnlySpan<byte> IcidGeneratedAt => Get("icid-generated-at"u8);

    /// <summary>The originating inter-operator identifier (<c>orig-ioi</c>), without quotes; empty when absent.</summary>
    public ReadOnlySpan<byte> OrigIoi => Get("orig-ioi"u8);

    /// <summary>The terminating inter-operator identifier (<c>term-ioi</c>), without quotes; empty when absent.</summary>
    public ReadOnlySpan<byte> TermIoi => Get("term-ioi"u8);

    /// <summary>The whole value, every parameter included, as written.</summary>
    public ReadOnlySpan<byte> Parameters { get; }

    /// <summary>Finds any parameter by name (ASCII case-insensitive), for example <c>transit-ioi</c> or <c>related-icid</c>.</summary>
    /// <param name="name">The parameter name.</param>
    /// <param name="value">Its value without quotes; empty for a parameter without a value.</param>
    /// <returns>Whether the parameter is present.</returns>
    public bool TryGetParameter(ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value) =>
        SipValueScanner.TryGetParameter(Parameters, name, out value);

    /// <summary>Parses a <c>P-Charging-Vector</c> value.</summary>
    /// <param name="value">The header value, for example <c>icid-value="AyretyU0dm+6O2IrT5tAFrbHLso=023551024";orig-ioi=home1.net</c>.</param>
    /// <param name="chargingVector">The parsed value; spans point into <paramref name="value"/>.</param>
    /// <returns><see langword="false"/> when <c>icid-value</c> is missing or empty, or a parameter is not a <c>generic-param</c>; never throws.</returns>
    public static bool TryParse(ReadOnlySpan<byte> value, out PChargingVector chargingVector)
    {
        chargingVector = default;
        ReadOnlySpan<byte> parameters = SipGrammar.TrimLinearWhitespace(value);
        if (!SipValueScanner.AreValidParameters(parameters) ||
            !SipValueScanner.TryGetParameter(parameters, "icid-value"u8, out ReadOnlySpan<byte> icid) ||
            icid.IsEmpty)
        {
            return false;
        }

        chargingVector = new PChargingVector(parameters, icid);
        return true;
    }

    private ReadOnlySpan<byte> Get(ReadOnlySpan<byte> name) =>
        SipValueScanner.TryGetParameter(Parameters, name, out ReadOnlySpan<byte> value) ? value : default;
}
