using SipTraceContext.Propagation.Internal;

namespace SipTraceContext.Propagation;

/// <summary>Options of the SIP propagators. Read once, when a propagator is created.</summary>
public sealed class SipPropagationOptions
{
    /// <summary>The default X-OTel prefix.</summary>
    public const string DefaultXOTelPrefix = "X-OTel-";

    /// <summary>The default P-OTel prefix.</summary>
    public const string DefaultPOTelPrefix = "P-OTel-";

    /// <summary>
    /// W3C Baggage asks implementations to propagate at least 8192 bytes; more is refused so a peer
    /// cannot make every hop carry (and parse) an unbounded header.
    /// </summary>
    public const int DefaultMaxBaggageLength = 8192;

    /// <summary>W3C Baggage asks implementations to propagate at least 64 list members.</summary>
    public const int DefaultMaxBaggageEntries = 64;

    /// <summary>The style written on inject and read first on extract. Default: <see cref="SipHeaderStyle.XOTel"/>.</summary>
    public SipHeaderStyle Style { get; set; } = SipHeaderStyle.XOTel;

    /// <summary>The header-name prefix of the X-OTel style. Default <c>X-OTel-</c>.</summary>
    public string XOTelPrefix { get; set; } = DefaultXOTelPrefix;

    /// <summary>The header-name prefix of the P-OTel style. Default <c>P-OTel-</c>.</summary>
    public string POTelPrefix { get; set; } = DefaultPOTelPrefix;

    /// <summary>
    /// Whether extraction also reads the other style (after the primary one). Default <c>true</c>:
    /// a network in transition carries both.
    /// </summary>
    public bool ExtractOtherStyle { get; set; } = true;

    /// <summary>
    /// Whether extraction accepts the spellings seen in the field as a last resort (see
    /// <see cref="FallbackPrefixes"/>). Default <c>true</c>.
    /// </summary>
    public bool AcceptFallbackHeaders { get; set; } = true;

    /// <summary>
    /// Prefixes of the fallback spellings, tried in order after both styles: <c>OTel-</c>
    /// (<c>OTel-Traceparent</c>, what RFC 6648 suggests), <c>X-</c> (<c>X-Traceparent</c>, sent by Jitsi's
    /// jigasi) and the empty prefix (bare <c>Traceparent</c>). The field name follows each prefix.
    /// </summary>
    public IList<string> FallbackPrefixes { get; } = new List<string> { "OTel-", "X-", string.Empty };

    /// <summary>
    /// The byte budget of an injected tracestate: whole list members are dropped from the end to
    /// fit. Default <see cref="TraceState.DefaultMaxLength"/> (512), the least W3C allows; lower it
    /// to keep UDP requests under the RFC 3261 §18.1.1 size limit.
    /// </summary>
    public int MaxTraceStateLength { get; set; } = TraceState.DefaultMaxLength;

    /// <summary>
    /// Whether baggage travels (<c>X-OTel-baggage</c> / <c>P-OTel-Baggage</c>). Default <c>false</c>:
    /// baggage goes only where the user asks for it.
    /// </summary>
    public bool PropagateBaggage { get; set; }

    /// <summary>The most baggage bytes read or written, counted across every header instance.</summary>
    public int MaxBaggageLength { get; set; } = DefaultMaxBaggageLength;

    /// <summary>The most baggage entries read or written, counted across every header instance.</summary>
    public int MaxBaggageEntries { get; set; } = DefaultMaxBaggageEntries;

    /// <summary>
    /// The header names a propagator created from these options recognises and removes when it strips
    /// <paramref name="scope"/>: the traceparent, tracestate and baggage names under each prefix in that
    /// scope (names match in any case). For removing the same headers another way, such as with
    /// <c>SipWireMessage.Remove</c>, when the raw propagator refuses a message.
    /// </summary>
    /// <param name="scope">Which styles.</param>
    /// <returns>The names, in extraction precedence order; a new array each call.</returns>
    /// <exception cref="ArgumentException">A prefix is not a SIP token or a limit is negative.</exception>
    public string[] GetTraceHeaderNames(SipTraceHeaderScope scope) => new TraceHeaderSet(this).StrippedNames(scope);
}
