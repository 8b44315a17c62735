using System.Text;
using SipTraceContext.Sip;
using SipTraceContext.Sip.Ims;

namespace SipTraceContext.Instrumentation.Internal;

/// <summary>
/// What the tracer reads from every message, from the header fields the reader that validated it
/// recorded. Spans point into the message (or, for the rare folded value, into a copy), so nothing
/// is allocated.
/// </summary>
internal ref struct SipMessageFacts
{
    public bool IsRequest;

    /// <summary>The method of a request; for a response, the CSeq method (the request it answers).</summary>
    public SipMethodKind Method;

    /// <summary>The request method or the CSeq method of a response, as written.</summary>
    public ReadOnlySpan<byte> MethodName;

    public int StatusCode;
    public ReadOnlySpan<byte> ReasonPhrase;
    public ReadOnlySpan<byte> RequestUri;
    public ReadOnlySpan<byte> CallId;
    public uint CSeq;
    public ReadOnlySpan<byte> TopVia;
    public ReadOnlySpan<byte> Branch;
    public ReadOnlySpan<byte> From;
    public ReadOnlySpan<byte> To;
    public ReadOnlySpan<byte> ToTag;

    /// <summary>
    /// Reads the facts every message needs, or says why the message is unusable: not SIP, cut short
    /// before the end of its headers, or missing a header every request and response must carry
    /// (RFC 3261 §8.1.1). The correlators and the User-Agent, needed only for recorded spans, are
    /// read by <see cref="SipSpanHeaders.Read"/>.
    /// </summary>
    /// <remarks>
    /// One walk over the fields, stopping once the five are found (they usually come first): five
    /// lookups would each walk the fields from the start again.
    /// </remarks>
    public static bool TryRead(in SipMessageReader reader, out SipMessageFacts facts, out string? problem)
    {
        facts = default;
        if (!reader.HeadersComplete)
        {
            problem = reader.Status == SipParseStatus.Incomplete ? "incomplete header section" : "not a valid SIP message";
            return false;
        }

        facts.IsRequest = reader.IsRequest;
        const int AllFound = 0b11111;
        int found = 0;
        ReadOnlySpan<byte> cseqMethod = default;
        foreach (SipHeaderField field in reader.Headers)
        {
            int bit = Wanted(field.Name);
            if (bit == 0 || (found & bit) != 0)
            {
                continue;
            }

            found |= bit;
            switch (bit)
            {
                case CallIdBit:
                    facts.CallId = ValueOf(field);
                    break;
                case CSeqBit:
                    if (!SipSyntax.TryParseCSeq(ValueOf(field), out facts.CSeq, out cseqMethod))
                    {
                        problem = "invalid CSeq";
                        return false;
                    }

                    break;
                case ViaBit:
                    // One Via line can carry several via-parms; the top one is the first list element.
                    var vias = new SipValueList(ValueOf(field));
                    facts.TopVia = vias.MoveNext() ? vias.Current : default;
                    break;
                case FromBit:
                    facts.From = ValueOf(field);
                    break;
                default:
                    facts.To = ValueOf(field);
                    break;
            }

            if (found == AllFound)
            {
                break;
            }
        }

        if ((found & CallIdBit) == 0 || facts.CallId.IsEmpty)
        {
            problem = "no Call-ID";
            return false;
        }

        if ((found & CSeqBit) == 0)
        {
            problem = "no CSeq";
            return false;
        }

        // RFC 3261 §8.1.1.7 and §20: every request and response carries a Via. A response without
        // one is malformed; real stacks and Kamailio's siptrace mirror every response with its Vias.
        const int required = AllFound;
        if ((found & required) != required)
        {
            problem = "no Via, From or To";
            return false;
        }

        if (facts.IsRequest)
        {
            facts.MethodName = reader.Method;
            facts.RequestUri = reader.RequestUri;

            // RFC 3261 §8.1.1.5: the CSeq method matches the request method; a message where they
            // differ cannot be placed in a transaction.
            if (!facts.MethodName.SequenceEqual(cseqMethod))
            {
                problem = "CSeq method differs from the request method";
                return false;
            }

            // Only requests are matched by branch (retransmissions, a proxy's copies).
            facts.Branch = SipSyntax.Parameter(facts.TopVia, "branch"u8);
        }
        else
        {
            facts.MethodName = cseqMethod;
            facts.StatusCode = reader.StatusCode;
            facts.ReasonPhrase = reader.ReasonPhrase;
        }

        facts.Method = SipMethods.Classify(facts.MethodName);
        facts.ToTag = SipSyntax.Parameter(facts.To, "tag"u8);
        problem = null;
        return true;
    }

    /// <summary>The value of the first instance of a header, unfolded; <see langword="false"/> when there is none.</summary>
    internal static bool TryGet(scoped in SipMessageReader reader, ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value)
    {
        if (!reader.TryGetHeader(name, out SipHeaderField field))
        {
            value = default;
            return false;
        }

        value = ValueOf(field);
        return true;
    }

    private const int CallIdBit = 1;
    private const int CSeqBit = 2;
    private const int ViaBit = 4;
    private const int FromBit = 8;
    private const int ToBit = 16;

    // The five headers every message must have, long and compact forms (RFC 3261 §7.3.3), by length
    // first: cheaper than resolving every header's name to a known header.
    private static int Wanted(ReadOnlySpan<byte> name) => name.Length switch
    {
        1 => (name[0] | 0x20) switch
        {
            'i' => CallIdBit,
            'v' => ViaBit,
            'f' => FromBit,
            't' => ToBit,
            _ => 0,
        },
        2 when Ascii.EqualsIgnoreCase(name, "To"u8) => ToBit,
        3 when Ascii.EqualsIgnoreCase(name, "Via"u8) => ViaBit,
        4 when Ascii.EqualsIgnoreCase(name, "CSeq"u8) => CSeqBit,
        4 when Ascii.EqualsIgnoreCase(name, "From"u8) => FromBit,
        7 when Ascii.EqualsIgnoreCase(name, "Call-ID"u8) => CallIdBit,
        _ => 0,
    };

    // A folded value still holds its line breaks; the rare folded header is unfolded into a copy
    // rather than making every lookup handle folds.
    private static ReadOnlySpan<byte> ValueOf(SipHeaderField field)
    {
        if (!field.IsFolded)
        {
            return field.Value;
        }

        byte[] unfolded = new byte[field.UnfoldedValueLength];
        return field.TryCopyUnfoldedValue(unfolded, out int written) ? unfolded.AsSpan(0, written) : field.Value;
    }
}

/// <summary>
/// What only a recorded span needs from its message: the From tag, the cross-leg correlators and the
/// User-Agent, taken from the same reader's lookups when a span is recorded.
/// </summary>
internal ref struct SipSpanHeaders
{
    public ReadOnlySpan<byte> FromTag;
    public ReadOnlySpan<byte> SessionId;
    public ReadOnlySpan<byte> XCid;
    public ReadOnlySpan<byte> ChargingVector;
    public ReadOnlySpan<byte> UserAgent;

    public static SipSpanHeaders Read(in SipMessageReader reader, ReadOnlySpan<byte> from, bool userAgent)
    {
        var headers = default(SipSpanHeaders);
        headers.FromTag = SipSyntax.Parameter(from, "tag"u8);
        SipMessageFacts.TryGet(in reader, "Session-ID"u8, out headers.SessionId);
        SipMessageFacts.TryGet(in reader, "X-CID"u8, out headers.XCid);
        SipMessageFacts.TryGet(in reader, "P-Charging-Vector"u8, out headers.ChargingVector);
        if (userAgent)
        {
            SipMessageFacts.TryGet(in reader, "User-Agent"u8, out headers.UserAgent);
        }

        return headers;
    }
}
