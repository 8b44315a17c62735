using SipTraceContext.Sip;

namespace SipTraceContext.Instrumentation.Internal;

/// <summary>
/// What the tracer reads from one message, found in a single pass over its header fields. Spans point
/// into the message (or, for the rare folded value, into a copy), so nothing is allocated.
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
    public ReadOnlySpan<byte> FromTag;
    public ReadOnlySpan<byte> ToTag;
    public ReadOnlySpan<byte> SessionId;
    public ReadOnlySpan<byte> XCid;
    public ReadOnlySpan<byte> ChargingVector;
    public ReadOnlySpan<byte> UserAgent;

    /// <summary>
    /// Reads the facts, or says why the message is unusable: not SIP, cut short before the end of its
    /// headers, or missing a header every request and response must carry (RFC 3261 §8.1.1).
    /// </summary>
    public static bool TryRead(in SipMessageReader reader, out SipMessageFacts facts, out string? problem)
    {
        facts = default;
        if (!reader.HeadersComplete)
        {
            problem = reader.Status == SipParseStatus.Incomplete ? "incomplete header section" : "not a valid SIP message";
            return false;
        }

        facts.IsRequest = reader.IsRequest;
        bool haveCallId = false, haveCSeq = false, haveVia = false, haveFrom = false, haveTo = false;
        ReadOnlySpan<byte> cseqMethod = default;
        foreach (SipHeaderField field in reader.Headers)
        {
            switch (field.KnownHeader)
            {
                case KnownSipHeader.CallId when !haveCallId:
                    facts.CallId = ValueOf(field);
                    haveCallId = true;
                    break;
                case KnownSipHeader.CSeq when !haveCSeq:
                    if (!SipSyntax.TryParseCSeq(ValueOf(field), out facts.CSeq, out cseqMethod))
                    {
                        problem = "invalid CSeq";
                        return false;
                    }

                    haveCSeq = true;
                    break;
                case KnownSipHeader.Via when !haveVia:
                    facts.TopVia = SipSyntax.FirstVia(ValueOf(field));
                    haveVia = true;
                    break;
                case KnownSipHeader.From when !haveFrom:
                    facts.From = ValueOf(field);
                    haveFrom = true;
                    break;
                case KnownSipHeader.To when !haveTo:
                    facts.To = ValueOf(field);
                    haveTo = true;
                    break;
                case KnownSipHeader.SessionId when facts.SessionId.IsEmpty:
                    facts.SessionId = ValueOf(field);
                    break;
                case KnownSipHeader.XCid when facts.XCid.IsEmpty:
                    facts.XCid = ValueOf(field);
                    break;
                case KnownSipHeader.PChargingVector when facts.ChargingVector.IsEmpty:
                    facts.ChargingVector = ValueOf(field);
                    break;
                case KnownSipHeader.UserAgent when facts.UserAgent.IsEmpty:
                    facts.UserAgent = ValueOf(field);
                    break;
                default:
                    break;
            }
        }

        if (!haveCallId || facts.CallId.IsEmpty)
        {
            problem = "no Call-ID";
            return false;
        }

        if (!haveCSeq)
        {
            problem = "no CSeq";
            return false;
        }

        if (!haveVia || !haveFrom || !haveTo)
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
        }
        else
        {
            facts.MethodName = cseqMethod;
            facts.StatusCode = reader.StatusCode;
            facts.ReasonPhrase = reader.ReasonPhrase;
        }

        facts.Method = SipMethods.Classify(facts.MethodName);
        facts.Branch = SipSyntax.Parameter(facts.TopVia, "branch"u8);
        facts.FromTag = SipSyntax.Parameter(facts.From, "tag"u8);
        facts.ToTag = SipSyntax.Parameter(facts.To, "tag"u8);
        problem = null;
        return true;
    }

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
