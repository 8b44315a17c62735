using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using SipTraceContext.Instrumentation.Internal;
using SipTraceContext.Sip;

namespace SipTraceContext.Instrumentation.Tests;

/// <summary>
/// What the call tracer reads from every message (<see cref="SipMessageFacts.TryRead"/>) against the
/// same values found through the reader's lookups by name: whether the message is usable, and each
/// value for the messages whose handling uses it (Via branch for an INVITE or a BYE, To tag for a
/// response or an INVITE, From when a span asks), empty for the others. Generated header sections mix
/// folded, compact, repeated, missing and oddly spaced fields. The top Via's branch and the To tag are
/// checked against the values each line holds by the grammar (RFC 3261 §20.10, §20.42), written here.
/// </summary>
public sealed class MessageFactsProperties
{
    private static readonly string[] StartLines =
    [
        "INVITE sip:bob@biloxi.example.com SIP/2.0",
        "BYE sip:bob@192.0.2.4 SIP/2.0",
        "ACK sip:bob@192.0.2.4 SIP/2.0",
        "CANCEL sip:bob@biloxi.example.com SIP/2.0",
        "OPTIONS sip:carol@chicago.example.com SIP/2.0",
        "PRACK sip:bob@192.0.2.4 SIP/2.0",
        "SIP/2.0 100 Trying",
        "SIP/2.0 180 Ringing",
        "SIP/2.0 200 OK",
        "SIP/2.0 487 Request Terminated",
    ];

    // Each Via line with the branch of its first via-parm, each To line with its tag.
    private static readonly Dictionary<string, string> Branches = new()
    {
        ["Via: SIP/2.0/UDP pc33.example.com;branch=z9hG4bK776asdhds"] = "z9hG4bK776asdhds",
        ["v: SIP/2.0/TCP p2.example.com;branch=z9hG4bKb2 , SIP/2.0/UDP p3.example.com;branch=z9hG4bKc3"] = "z9hG4bKb2",
        ["VIA:SIP/2.0/UDP old.example.com"] = "",
        ["Via: SIP/2.0/UDP p4.example.com;\r\n branch=z9hG4bKfolded"] = "z9hG4bKfolded",
        ["via :\tSIP/2.0/TLS p5.example.com;received=192.0.2.1;BRANCH=z9hG4bKd4  "] = "z9hG4bKd4",
    };

    private static readonly Dictionary<string, string> Tags = new()
    {
        ["To: <sip:bob@biloxi.example.com>"] = "",
        ["To: \"Bob; the tag=x\" <sip:bob@biloxi.example.com;tag=uri>;tag=a6c85cf"] = "a6c85cf",
        ["t: sip:bob@biloxi.example.com ;TAG=314159"] = "314159",
        ["To: <sip:bob@biloxi.example.com>;\r\n\ttag=folded"] = "folded",
    };

    private static readonly string[] Lines =
    [
        .. Branches.Keys,
        .. Tags.Keys,
        "From: \"Alice\" <sip:alice@atlanta.example.com>;tag=1928301774",
        "f: <sip:carol@chicago.example.com>",
        "Call-ID: a84b4c76e66710@pc33.example.com",
        "i:  other-call@example.com ",
        "CSeq: 1 INVITE",
        "CSeq: 2 BYE",
        "CSeq:  1\tACK",
        "CSeq: 1 CANCEL",
        "CSeq: 7 OPTIONS",
        "CSeq: 3 PRACK",
        "CSeq: x INVITE",
        "Max-Forwards: 70",
        "Contact: <sip:alice@pc33.example.com>",
        "Content-Length: 0",
    ];

    // Each header a message must carry is there nine times in ten, among up to eight other lines of any
    // kind (repeats included), in any order.
    private static Gen<string[]> HeaderSections =>
        from via in Sometimes(Branches.Keys.ToArray())
        from to in Sometimes(Tags.Keys.ToArray())
        from sender in Sometimes(Lines.Where(line => line.StartsWith('f') || line.StartsWith("From", StringComparison.Ordinal)).ToArray())
        from callId in Sometimes(Lines.Where(line => line.StartsWith('i') || line.StartsWith("Call-ID", StringComparison.Ordinal)).ToArray())
        from cseq in Sometimes(Lines.Where(line => line.StartsWith("CSeq", StringComparison.Ordinal)).ToArray())
        from count in Gen.Choose(0, 8)
        from others in Gen.ArrayOf(Gen.Elements(Lines), count)
        from order in Gen.Shuffle(via.Concat(to).Concat(sender).Concat(callId).Concat(cseq).Concat(others).ToArray())
        select order.ToArray();

    private static Gen<string[]> Sometimes(string[] lines) =>
        Gen.Frequency((9, Gen.Elements(lines).Select(line => new[] { line })), (1, Gen.Constant(Array.Empty<string>())));

    [Property(MaxTest = 1000)]
    public Property Facts_are_what_the_lookups_by_name_find() =>
        Prop.ForAll(Gen.Elements(StartLines).ToArbitrary(), HeaderSections.ToArbitrary(), (startLine, lines) =>
        {
            byte[] bytes = Encoding.ASCII.GetBytes(startLine + "\r\n" + string.Concat(lines.Select(line => line + "\r\n")) + "\r\n");
            var reader = new SipMessageReader(bytes);
            bool usable = SipMessageFacts.TryRead(in reader, out SipMessageFacts facts, out string? problem);
            if (!reader.HeadersComplete)
            {
                return !usable && problem is not null;
            }

            bool hasCSeq = reader.TryGetHeader("CSeq"u8, out SipHeaderField cseqField);
            bool cseqParses = TryParseCSeq(Unfolded(cseqField), out uint cseq, out ReadOnlySpan<byte> cseqMethod);
            bool hasCallId = reader.TryGetHeader("Call-ID"u8, out SipHeaderField callIdField) && !Unfolded(callIdField).IsEmpty;
            bool hasVia = reader.TryGetHeader("Via"u8, out SipHeaderField viaField);
            bool hasFrom = reader.TryGetHeader("From"u8, out SipHeaderField fromField);
            bool hasTo = reader.TryGetHeader("To"u8, out SipHeaderField toField);
            bool methodsAgree = !reader.IsRequest || reader.Method.SequenceEqual(cseqMethod);
            bool expected = hasCSeq && cseqParses && hasCallId && hasVia && hasFrom && hasTo && methodsAgree;
            if (usable != expected || usable == (problem is not null))
            {
                return false;
            }

            if (!usable)
            {
                return true;
            }

            SipMethodKind method = SipMethods.Classify(reader.IsRequest ? reader.Method : cseqMethod);
            bool transaction = reader.IsRequest && method is SipMethodKind.Invite or SipMethodKind.Bye;
            bool readsTo = !reader.IsRequest || method == SipMethodKind.Invite;
            string branch = transaction ? Branches[lines.First(Branches.ContainsKey)] : "";
            string tag = readsTo ? Tags[lines.First(Tags.ContainsKey)] : "";
            var recorded = new RecordedMessage(in reader, SipDirection.In, TimeProvider.System, new long[1], DateTimeOffset.UnixEpoch, default);
            return facts.CallId.SequenceEqual(Unfolded(callIdField))
                && facts.CSeq == cseq
                && facts.Method == method
                && (transaction ? facts.TopVia.StartsWith("SIP/2.0/"u8) && facts.TopVia.IndexOf((byte)',') < 0 : facts.TopVia.IsEmpty)
                && facts.Branch.SequenceEqual(Encoding.ASCII.GetBytes(branch))
                && facts.To.SequenceEqual(readsTo ? Unfolded(toField) : default)
                && facts.ToTag.SequenceEqual(Encoding.ASCII.GetBytes(tag))
                && recorded.From.SequenceEqual(Unfolded(fromField));
        });

    // CSeq = 1*DIGIT LWS Method (RFC 3261 §20.16).
    private static bool TryParseCSeq(ReadOnlySpan<byte> value, out uint number, out ReadOnlySpan<byte> method)
    {
        string[] parts = Encoding.ASCII.GetString(value).Split([' ', '\t'], 2, StringSplitOptions.RemoveEmptyEntries);
        method = parts.Length == 2 ? Encoding.ASCII.GetBytes(parts[1].Trim()) : default;
        return uint.TryParse(parts.FirstOrDefault(), System.Globalization.NumberStyles.None, null, out number) && parts.Length == 2;
    }

    private static ReadOnlySpan<byte> Unfolded(SipHeaderField field)
    {
        var value = new byte[field.UnfoldedValueLength];
        return field.TryCopyUnfoldedValue(value, out int written) ? value.AsSpan(0, written) : throw new InvalidOperationException("The value did not fit.");
    }
}
