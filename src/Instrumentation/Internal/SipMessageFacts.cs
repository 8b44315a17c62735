#if NET9_0_OR_GREATER
using System.Runtime.CompilerServices;
#endif
using SipTraceContext.Sip;
using SipTraceContext.Sip.Syntax;

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

    /// <summary>The top via-parm of an INVITE or a BYE, the requests that begin a transaction; empty otherwise.</summary>
    public ReadOnlySpan<byte> TopVia;

    /// <summary>The branch of <see cref="TopVia"/>; empty with it.</summary>
    public ReadOnlySpan<byte> Branch;

    /// <summary>The To value of a response or an INVITE; empty otherwise.</summary>
    public ReadOnlySpan<byte> To;

    /// <summary>The tag of <see cref="To"/>; empty with it.</summary>
    public ReadOnlySpan<byte> ToTag;

    /// <summary>
    /// Reads the facts the call state needs, or says why the message is unusable: not SIP, cut short
    /// before the end of its headers, or missing a header every request and response must carry
    /// (RFC 3261 §8.1.1). What only a recorded span needs (the From value, the correlators, the
    /// User-Agent) is read when a span is recorded: <see cref="RecordedMessage.From"/>, <see cref="SipSpanHeaders.Read"/>.
    /// </summary>
    /// <remarks>
    /// The reader recorded where the first field of each of the five headers is while it validated the
    /// message, so each is found without walking the fields. The first field of a header is the one used.
    /// Values are read only for the messages whose handling uses them: an ACK, the third of a call's
    /// requests, needs its Call-ID alone.
    /// </remarks>
    public static bool TryRead(scoped in SipMessageReader reader, out SipMessageFacts facts, out string? problem)
    {
#if NET9_0_OR_GREATER
        // Every field is written on the way to success and the whole value cleared on the way to failure:
        // clearing it first as well costs each message a loop over its 21 words. The caller's storage is
        // cleared already (the runtime zeroes every local holding references), so no stale reference shows.
        Unsafe.SkipInit(out facts);
#else
        facts = default;
#endif
        if (!reader.HeadersComplete)
        {
            return Fail(reader.Status == SipParseStatus.Incomplete ? "incomplete header section" : "not a valid SIP message", out facts, out problem);
        }

        facts.IsRequest = reader.IsRequest;

        // An unparsable CSeq is reported before a missing header, as a walk in message order would.
        bool hasCSeq = reader.TryGetFirstValue(KnownSipHeader.CSeq, out ReadOnlySpan<byte> value);
        ReadOnlySpan<byte> cseqMethod = default;
        if (hasCSeq && !SipValueScanner.TryParseCSeq(value, out facts.CSeq, out cseqMethod))
        {
            return Fail("invalid CSeq", out facts, out problem);
        }

        if (!reader.TryGetFirstValue(KnownSipHeader.CallId, out value) || value.IsEmpty)
        {
            return Fail("no Call-ID", out facts, out problem);
        }

        facts.CallId = value;
        if (!hasCSeq)
        {
            return Fail("no CSeq", out facts, out problem);
        }

        // RFC 3261 §8.1.1.7 and §20: every request and response carries a Via, a From and a To. A
        // response without them is malformed; real stacks and Kamailio's siptrace mirror every
        // response with its Vias.
        if (!reader.HasField(KnownSipHeader.Via) || !reader.HasField(KnownSipHeader.From) || !reader.HasField(KnownSipHeader.To))
        {
            return Fail("no Via, From or To", out facts, out problem);
        }

        if (facts.IsRequest)
        {
            facts.MethodName = reader.Method;
            facts.RequestUri = reader.RequestUri;

            // RFC 3261 §8.1.1.5: the CSeq method matches the request method; a message where they
            // differ cannot be placed in a transaction.
            if (!facts.MethodName.SequenceEqual(cseqMethod))
            {
                return Fail("CSeq method differs from the request method", out facts, out problem);
            }

            facts.Method = SipMethods.Classify(facts.MethodName);
            facts.StatusCode = 0;
            facts.ReasonPhrase = default;
            if (facts.Method is SipMethodKind.Invite or SipMethodKind.Bye)
            {
                // A transaction's request: matched by branch (retransmissions, a proxy's copies), its
                // transport taken from the top Via. One Via line can carry several via-parms; the top one
                // is the first list element.
                _ = reader.TryGetFirstValue(KnownSipHeader.Via, out value);
                var vias = new SipValueList(value);
                facts.TopVia = vias.MoveNext() ? vias.Current : default;
                facts.Branch = SipValueScanner.FindParameter(facts.TopVia, "branch"u8);
            }
            else
            {
                facts.TopVia = default;
                facts.Branch = default;
            }

            // An INVITE with a To tag is a re-INVITE, inside a dialog; no other request's tag is used.
            if (facts.Method == SipMethodKind.Invite)
            {
                ReadTo(in reader, ref facts);
            }
            else
            {
                facts.To = default;
                facts.ToTag = default;
            }
        }
        else
        {
            facts.MethodName = cseqMethod;
            facts.Method = SipMethods.Classify(cseqMethod);
            facts.StatusCode = reader.StatusCode;
            facts.ReasonPhrase = reader.ReasonPhrase;
            facts.RequestUri = default;
            facts.TopVia = default;
            facts.Branch = default;

            // The tag tells a fork's responses apart, and a repeat from a new response.
            ReadTo(in reader, ref facts);
        }

        problem = null;
        return true;
    }

    private static void ReadTo(scoped in SipMessageReader reader, ref SipMessageFacts facts)
    {
        _ = reader.TryGetFirstValue(KnownSipHeader.To, out facts.To);
        facts.ToTag = SipValueScanner.FindParameter(facts.To, "tag"u8);
    }

    private static bool Fail(string reason, out SipMessageFacts facts, out string problem)
    {
        facts = default;
        problem = reason;
        return false;
    }
}
