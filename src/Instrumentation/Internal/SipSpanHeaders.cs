using System.Numerics;
using SipTraceContext.Sip;
using SipTraceContext.Sip.Internal;
using SipTraceContext.Sip.Syntax;

namespace SipTraceContext.Instrumentation.Internal;

/// <summary>
/// What only a recorded span needs from its message: the Via entries' branches (derived span ids), the
/// From tag, the cross-leg correlators and the User-Agent. Read from where the reader recorded them when a
/// span is kept; a dropped span reads none of it.
/// </summary>
internal ref struct SipSpanHeaders
{
    private const int LowerCaseBit = 0x20;

    public ViaBranches Vias;

    /// <summary>The From value <see cref="Read"/> was given: what the span shows of the sender.</summary>
    public ReadOnlySpan<byte> From;
    public ReadOnlySpan<byte> FromTag;
    public ReadOnlySpan<byte> SessionId;
    public ReadOnlySpan<byte> XCid;
    public ReadOnlySpan<byte> ChargingVector;
    public ReadOnlySpan<byte> UserAgent;

    /// <summary>Whether <see cref="Read"/> filled this in (a default value has read nothing).</summary>
    public bool IsRead;

    /// <summary>
    /// Reads them: of each correlator and the User-Agent the first field's unfolded value, as
    /// <see cref="SipMessageReader.TryGetHeader(ReadOnlySpan{byte}, out SipHeaderField)"/> finds it, and the
    /// branches of the first <see cref="ViaBranches.Capacity"/> Via entries, as <see cref="ViaBranches.Read"/>
    /// reads them. The reader recorded where each Via and each first field is; only a message with more
    /// fields than it indexes is walked.
    /// </summary>
    public static SipSpanHeaders Read(scoped in SipMessageReader reader, ReadOnlySpan<byte> from, bool userAgent)
    {
        var headers = default(SipSpanHeaders);
        headers.IsRead = true;
        headers.From = from;
        headers.FromTag = SipValueScanner.FindParameter(from, "tag"u8);
        if (!reader.AllFieldsIndexed)
        {
            headers.Walk(in reader, userAgent);
            return headers;
        }

        for (uint vias = reader.ViaFields; vias != 0; vias &= vias - 1)
        {
            if (!headers.Vias.TakeBranches(reader.IndexedField(BitOperations.TrailingZeroCount(vias)).UnfoldedValue()))
            {
                break;
            }
        }

        _ = reader.TryGetFirstValue(KnownSipHeader.SessionId, out headers.SessionId);
        _ = reader.TryGetFirstValue(KnownSipHeader.XCid, out headers.XCid);
        _ = reader.TryGetFirstValue(KnownSipHeader.PChargingVector, out headers.ChargingVector);
        if (userAgent)
        {
            _ = reader.TryGetFirstValue(KnownSipHeader.UserAgent, out headers.UserAgent);
        }

        return headers;
    }

    // The same in one walk over the fields, for a message with fields past the reader's index.
    private void Walk(scoped in SipMessageReader reader, bool userAgent)
    {
        bool viasFull = false;
        bool sessionId = false;
        bool xcid = false;
        bool chargingVector = false;
        bool agent = !userAgent;
        SipHeaderEnumerator fields = reader.Headers;
        while (fields.MoveNextLine(out int start, out int end))
        {
            // The first letter picks the one name a line can be: most lines are none of them. None of the
            // correlators or the User-Agent has a compact form; Via's is "v".
            ReadOnlySpan<byte> line = reader.Message[start..end];
            switch (line[0] | LowerCaseBit)
            {
                case 'v' when !viasFull && (Named(line, SipHeaderNames.ViaUtf8) || Named(line, "v"u8)):
                    viasFull = !Vias.TakeBranches(Value(line, start));
                    break;
                case 's' when !sessionId && Named(line, SipHeaderNames.SessionIdUtf8):
                    sessionId = true;
                    SessionId = Value(line, start);
                    break;
                case 'x' when !xcid && Named(line, SipHeaderNames.XCidUtf8):
                    xcid = true;
                    XCid = Value(line, start);
                    break;
                case 'p' when !chargingVector && Named(line, SipHeaderNames.PChargingVectorUtf8):
                    chargingVector = true;
                    ChargingVector = Value(line, start);
                    break;
                case 'u' when !agent && Named(line, SipHeaderNames.UserAgentUtf8):
                    agent = true;
                    UserAgent = Value(line, start);
                    break;
            }
        }
    }

    private static bool Named(ReadOnlySpan<byte> line, ReadOnlySpan<byte> name) => HeaderNameMatcher.StartsLine(line, name);

    // Continuation lines are part of the walked line; CreateField tells a fold inside the value from one
    // around it, and the rare folded value is unfolded into a copy.
    private static ReadOnlySpan<byte> Value(ReadOnlySpan<byte> line, int start) =>
        SipHeaderEnumerator.CreateField(line, start, hasContinuation: true).UnfoldedValue();
}
