using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using SipTraceContext.Instrumentation.Internal;
using SipTraceContext.Sip;

namespace SipTraceContext.Instrumentation.Tests;

/// <summary>
/// A recorded span reads its Via branches, correlators and User-Agent from where the reader recorded them,
/// or in one walk over the fields when a message has more than the reader indexes
/// (<see cref="SipSpanHeaders.Read"/>). These properties hold both to the lookups they replaced: each
/// value is what the reader's lookup of that header by name finds, and the branches are what
/// <see cref="ViaBranches.Read"/> reads, for generated header sections (any case, compact Via, repeats,
/// empty and folded values, more fields than the reader indexes).
/// </summary>
public sealed class SpanHeaderProperties
{
    private static readonly string[] Lines =
    [
        "Via: SIP/2.0/UDP p1.example.com;branch=z9hG4bKa1",
        "v: SIP/2.0/TCP p2.example.com;branch=z9hG4bKb2 , SIP/2.0/UDP p3.example.com;BRANCH=z9hG4bKc3",
        "VIA:SIP/2.0/UDP old.example.com",
        "Via: SIP/2.0/UDP p4.example.com;\r\n branch=z9hG4bKfolded",
        "via :\tSIP/2.0/SCTP p5.example.com;received=192.0.2.1;branch=z9hG4bKd4",
        "Session-ID: ab30317f1a784dc48ff824d0d3715d86;remote=47755a9de7794ba387653f2099600ef2",
        "session-id:",
        "X-CID: original-call@example.com",
        "x-cid:   spaced  ",
        "X-CID: second@example.com",
        "P-Charging-Vector: icid-value=\"AyretyU0dm+6O2IrT5tAFrbHLso=\";orig-ioi=home1.net",
        "p-charging-vector: icid-value=1234bc9876e",
        "User-Agent: Phone/1.0",
        "user-agent: Folded\r\n\tAgent/2.0",
        "User-Agent:",
        "X-Session-ID: not-it",
        "Session-IDs: not-it-either",
        "Max-Forwards: 70",
        "Contact: <sip:alice@pc33.example.com>",
        "Subject: a;b, c",
    ];

    private static Gen<string[]> HeaderSections =>
        from count in Gen.Choose(0, 45)
        from lines in Gen.ArrayOf(Gen.Elements(Lines), count)
        select lines;

    [Property(MaxTest = 500)]
    public Property One_walk_reads_what_each_lookup_reads() =>
        Prop.ForAll(HeaderSections.ToArbitrary(), Gen.Elements(true, false).ToArbitrary(), (lines, userAgent) =>
        {
            byte[] bytes = Message(lines);
            var reader = new SipMessageReader(bytes);
            if (!reader.HeadersComplete)
            {
                return false;
            }

            SipSpanHeaders walked = SipSpanHeaders.Read(in reader, "<sip:alice@atlanta.example.com>;tag=1928301774"u8, userAgent);
            ViaBranches vias = ViaBranches.Read(in reader);
            return walked.IsRead
                && walked.FromTag.SequenceEqual("1928301774"u8)
                && SameBranches(in walked.Vias, in vias)
                && Same(in reader, "Session-ID", walked.SessionId)
                && Same(in reader, "X-CID", walked.XCid)
                && Same(in reader, "P-Charging-Vector", walked.ChargingVector)
                && (userAgent ? Same(in reader, "User-Agent", walked.UserAgent) : walked.UserAgent.IsEmpty);
        });

    private static byte[] Message(string[] lines) => Encoding.ASCII.GetBytes(
        "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n" +
        string.Concat(lines.Select(line => line + "\r\n")) +
        "From: <sip:alice@atlanta.example.com>;tag=1928301774\r\n" +
        "To: <sip:bob@biloxi.example.com>\r\n" +
        "Call-ID: a84b4c76e66710\r\n" +
        "CSeq: 1 INVITE\r\n" +
        "Content-Length: 0\r\n\r\n");

    private static bool Same(in SipMessageReader reader, string name, ReadOnlySpan<byte> walked)
    {
        // The lookup by name: the first field's unfolded value.
        if (!reader.TryGetHeader(Encoding.ASCII.GetBytes(name), out SipHeaderField field))
        {
            return walked.IsEmpty;
        }

        byte[] value = new byte[field.UnfoldedValueLength];
        return field.TryCopyUnfoldedValue(value, out int written) && walked.SequenceEqual(value.AsSpan(0, written));
    }

    private static bool SameBranches(in ViaBranches a, in ViaBranches b)
    {
        if (a.Count != b.Count)
        {
            return false;
        }

        for (int i = 0; i < a.Count; i++)
        {
            if (!a[i].SequenceEqual(b[i]))
            {
                return false;
            }
        }

        return true;
    }
}
