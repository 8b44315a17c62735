using System.Diagnostics;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using SipTraceContext.Conventions;
using SipTraceContext.Instrumentation.Ims;
using SipTraceContext.Propagation;
using SipTraceContext.Sip;
using static SipTraceContext.Instrumentation.Tests.Ims.ImsMessages;

namespace SipTraceContext.Instrumentation.Tests.Ims;

/// <summary>
/// The IMS helpers fail closed: whatever a handset sends, what the node forwards carries no trace header
/// (as <see cref="SipMessageReader"/> reads it) but the one the node wrote itself, or nothing at all.
/// Each must hold whether or not the raw propagator's fast path accepts the message.
/// </summary>
public sealed class ImsTraceHeaderFailClosedTests
{
    private const string Forged = "00-deaddeaddeaddeaddeaddeaddeaddead-badc0ffee0ddf00d-01";

    private static readonly ActivityContext Own = new(
        ActivityTraceId.CreateFromString("4bf92f3577b34da6a3ce929d0e0e4736"),
        ActivitySpanId.CreateFromString("00f067aa0ba902b7"),
        ActivityTraceFlags.Recorded,
        "own=1");

    // Every name the default IMS propagation recognises, as the node's options give them.
    private static readonly string[] TraceNames =
        new ImsNodeOptions().Propagation.GetTraceHeaderNames(SipTraceHeaderScope.All);

    [Theory]
    [InlineData(17)]
    [InlineData(40)]
    public void SeventeenOrMoreForgedTraceparentLinesFromAHandsetAreAllGoneFromWhatThePcscfForwards(int lines)
    {
        using var harness = new TracerHarness();
        var pcscf = new PcscfInstrumentation();
        string[] forged = [.. Enumerable.Repeat($"P-OTel-Traceparent: {Forged}", lines)];

        byte[] request = Invite("call-forged-17@192.0.2.10", forged);
        ImsSpan span = pcscf.StartInvite(request);
        byte[] forward = span.Rewrite(request);
        span.EndWith(200);

        Assert.DoesNotContain("deaddead", Encoding.UTF8.GetString(forward), StringComparison.Ordinal);
        List<(string Name, string Value)> trace = TraceHeaders(forward);
        (string name, string value) = Assert.Single(trace, h => h.Name.EndsWith("traceparent", StringComparison.OrdinalIgnoreCase));
        Assert.Equal("P-OTel-Traceparent", name);
        Assert.Equal(TraceParent.FromActivityContext(span.Context).ToString(), value);
        Assert.EndsWith(Sdp, Encoding.UTF8.GetString(forward), StringComparison.Ordinal);
        Assert.Equal(1, harness.Collect().Value(
            ImsMetrics.TraceHeadersFallbacks.Name,
            (ImsAttributes.TraceHeadersOutcome, ImsAttributes.TraceHeadersOutcomeValues.ReaderStrip)));
    }

    [Fact]
    public void AHandsetMessageWithLeadingBlankLinesNeverComesOutWithATraceHeader()
    {
        var pcscf = new PcscfInstrumentation();
        byte[] message = Encoding.ASCII.GetBytes($"\r\n\r\nBYE sip:b@x SIP/2.0\r\nP-OTel-Traceparent: {Forged}\r\n\r\n");

        byte[] stripped = pcscf.StripToArray(message);
        byte[] injected = pcscf.InjectToArray(message, Own);

        Assert.True(new SipMessageReader(stripped).IsComplete);
        Assert.Empty(TraceHeaders(stripped));
        Assert.Equal(OwnHeaders, TraceHeaders(injected));
        Assert.DoesNotContain("deaddead", Encoding.ASCII.GetString(stripped) + Encoding.ASCII.GetString(injected), StringComparison.Ordinal);
    }

    [Fact]
    public void AHandsetMessageWithMixedLineEndsKeepsTheTraceHeaderLookalikeInItsBodyAsBodyBytes()
    {
        var pcscf = new PcscfInstrumentation();
        // The reader ends the header section at "\n\n": the X-OTel line is the 79-byte body, not a header.
        string body = $"X-OTel-traceparent: {Forged}\r\n\r\n";
        byte[] message = Encoding.ASCII.GetBytes($"BYE sip:b@x SIP/2.0\r\nl: {body.Length}\n\n{body}");
        Assert.Equal(79, body.Length);

        byte[] stripped = pcscf.StripToArray(message);
        byte[] injected = pcscf.InjectToArray(message, Own);

        Assert.Empty(TraceHeaders(stripped));
        Assert.Equal(OwnHeaders, TraceHeaders(injected));
        Assert.Equal(body, Encoding.ASCII.GetString(new SipMessageReader(stripped).Body));
        Assert.Equal(body, Encoding.ASCII.GetString(new SipMessageReader(injected).Body));
    }

    [Theory]
    [InlineData("BYE sip:b@x SIP/2.0\rP-OTel-Traceparent: " + Forged + "\r\n\r\n")] // bare CR
    [InlineData("BYE sip:b@x SIP/2.0\r\nP-OTel-Traceparent: " + Forged + "\r\nX: a\0b\r\n\r\n")] // NUL
    [InlineData("BYE sip:b@x SIP/2.0\r\nP-OTel-Traceparent: " + Forged + "\r\n")] // no end of the header section
    [InlineData("BYE sip:b@x SIP/2.0\r\nContent-Length: 10\r\nP-OTel-Traceparent: " + Forged + "\r\n\r\nshort")] // body cut short
    public void AMessageTheReaderRejectsIsNotForwardedAndIsCounted(string text)
    {
        using var harness = new TracerHarness();
        var pcscf = new PcscfInstrumentation();
        byte[] message = Encoding.ASCII.GetBytes(text);

        Assert.Empty(pcscf.StripToArray(message));
        Assert.Empty(pcscf.InjectToArray(message, Own));
        Assert.Equal(2, harness.Collect().Value(
            ImsMetrics.TraceHeadersFallbacks.Name,
            (ImsAttributes.TraceHeadersOutcome, ImsAttributes.TraceHeadersOutcomeValues.Refused)));
    }

    [Fact]
    public void BytesAfterTheEndOfTheMessageAreNotForwarded()
    {
        var pcscf = new PcscfInstrumentation();
        const string First = "BYE sip:b@x SIP/2.0\r\nContent-Length: 0\r\n\r\n";
        byte[] message = Encoding.ASCII.GetBytes(First + $"INVITE sip:b@x SIP/2.0\r\nP-OTel-Traceparent: {Forged}\r\n\r\n");

        Assert.Equal(First, Encoding.ASCII.GetString(pcscf.StripToArray(message)));
    }

    [Fact]
    public void TheFallbackRemovesTheConfiguredSpellingsToo()
    {
        var options = new ImsNodeOptions();
        options.Propagation.FallbackPrefixes.Add("Zz-");
        var pcscf = new PcscfInstrumentation(options);
        // 17 lines refuse the fast path; the custom fallback spelling must still go.
        string[] extra = [.. Enumerable.Repeat($"X-OTel-traceparent: {Forged}", 16), $"zz-TRACEPARENT: {Forged}", "Zz-Baggage: k=v"];

        string stripped = Encoding.UTF8.GetString(pcscf.StripToArray(Invite("call-custom@192.0.2.10", extra)));

        Assert.DoesNotContain("zz-", stripped, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("deaddead", stripped, StringComparison.Ordinal);
    }

    /// <summary>
    /// For generated handset messages (any shape: blank lines first, mixed line ends, folded or repeated trace
    /// headers in any spelling and case, trace lookalikes in the body, malformed bytes), what the node forwards
    /// is either nothing (only when the reader rejects the message) or a complete message whose only trace
    /// headers are the node's own, with the body unchanged.
    /// </summary>
    [Property(MaxTest = 400)]
    public Property ForwardedBytesCarryNoTraceHeaderButTheNodesOwn() =>
        Prop.ForAll(HandsetMessages.ToArbitrary(), Gen.Elements(true, false).ToArbitrary(), (text, inject) =>
        {
            var pcscf = new PcscfInstrumentation();
            byte[] message = Encoding.UTF8.GetBytes(text);
            var source = new SipMessageReader(message);
            byte[] forward = inject ? pcscf.InjectToArray(message, Own) : pcscf.StripToArray(message);
            if (!source.IsComplete)
            {
                return forward.Length == 0;
            }

            var reader = new SipMessageReader(forward);
            List<(string Name, string Value)> expected = inject ? OwnHeaders : [];
            return reader.IsComplete
                && reader.Body.SequenceEqual(source.Body)
                && TraceHeaders(forward).SequenceEqual(expected);
        });

    /// <summary>
    /// Where the raw propagator takes a message, the node's rewrite is exactly its strip of every trace header
    /// followed by its inject, as the node did before it wrote into the caller's buffer, and the reader reads it.
    /// </summary>
    [Property(MaxTest = 400)]
    public Property InjectIsTheRawStripThenInjectWhereTheFastPathTakesTheMessage() =>
        Prop.ForAll(WellFramedMessages.ToArbitrary(), text =>
        {
            var pcscf = new PcscfInstrumentation();
            var raw = new SipRawPropagator(new ImsNodeOptions().Propagation);
            byte[] message = Encoding.UTF8.GetBytes(text);
            byte[] stripped = new byte[message.Length];
            byte[] expected = new byte[message.Length + raw.MaxAddedBytes];
            if (!raw.TryStrip(message, SipTraceHeaderScope.All, stripped, out int strippedLength)
                || !raw.TryInject(stripped.AsSpan(0, strippedLength), Own, expected, out int expectedLength))
            {
                return true.Label("fast path refused");
            }

            byte[] actual = new byte[message.Length + pcscf.MaxAddedBytes];
            bool done = pcscf.TryInject(message, Own, actual, out int written);
            return (done
                && actual.AsSpan(0, written).SequenceEqual(expected.AsSpan(0, expectedLength))
                && new SipMessageReader(actual.AsSpan(0, written)).IsComplete).Label("fast path taken");
        });

    private static List<(string Name, string Value)> OwnHeaders =>
        [("P-OTel-Traceparent", TraceParent.FromActivityContext(Own).ToString()), ("P-OTel-Tracestate", "own=1")];

    /// <summary>Every header the reader finds whose name is a trace header name, in message order.</summary>
    private static List<(string Name, string Value)> TraceHeaders(byte[] message)
    {
        var found = new List<(string, string)>();
        var reader = new SipMessageReader(message);
        foreach (SipHeaderField field in reader.Headers)
        {
            string name = Encoding.ASCII.GetString(field.Name);
            if (TraceNames.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                found.Add((name, Encoding.ASCII.GetString(field.Value)));
            }
        }

        return found;
    }

    private static Gen<string> TraceLines =>
        from name in Gen.Elements("P-OTel-Traceparent", "p-otel-tracestate", "X-OTel-traceparent", "X-OTEL-TRACESTATE", "OTel-Traceparent", "X-Traceparent", "Traceparent", "tracestate", "P-OTel-Baggage")
        from beforeColon in Gen.Elements("", "", " ", "\t")
        from folded in Gen.Elements(false, false, true)
        select name + beforeColon + ": " + (folded ? "00-deaddeaddeaddeaddeaddeaddeaddead-\r\n badc0ffee0ddf00d-01" : Forged);

    private static Gen<string> OtherLines =>
        Gen.Elements("Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK1", "Max-Forwards: 70", "From: <sip:a@x>;tag=1", "To: <sip:b@x>", "Call-ID: c1", "CSeq: 2 BYE", "X-Trace: 1", "P-OTel-Other: 2", "Subject: a\r\n b");

    private static Gen<string> HandsetMessages => Messages(
        Gen.Elements("\r\n", "\r\n", "\r\n", "\n"), Gen.Elements(0, 0, 0, 0, 3, -1), Gen.Elements("", "", "", "", "\r", "\0"));

    // What the raw propagator takes when there are at most 16 trace header lines: one line ending, the body its
    // Content-Length says, no byte the reader rejects.
    private static Gen<string> WellFramedMessages => Messages(Gen.Constant("\r\n"), Gen.Constant(0), Gen.Constant(string.Empty));

    private static Gen<string> Messages(Gen<string> lineEnd, Gen<int> lengthErrors, Gen<string> damages) =>
        from blankLines in Gen.Elements("", "", "\r\n", "\n", "\r\n\r\n")
        from startLine in Gen.Elements("BYE sip:b@x SIP/2.0", "INVITE tel:+15557654321 SIP/2.0", "SIP/2.0 200 OK")
        from traceCount in Gen.OneOf(Gen.Choose(0, 4), Gen.Choose(15, 20))
        from traces in Gen.ArrayOf(TraceLines, traceCount)
        from others in Gen.ArrayOf(OtherLines, 6)
        from order in Gen.ArrayOf(Gen.Choose(0, 100), traceCount + 6)
        from lineEnds in Gen.ArrayOf(lineEnd, traceCount + 9)
        from body in Gen.Elements("", "v=0\r\n", $"X-OTel-traceparent: {Forged}\r\n\r\n", $"\nP-OTel-Traceparent: {Forged}\n")
        from lengthError in lengthErrors
        from damage in damages
        select Render(blankLines, startLine, [.. traces.Concat(others).Zip(order).OrderBy(p => p.Second).Select(p => p.First)], lineEnds, body, lengthError, damage);

    private static string Render(string blankLines, string startLine, string[] headers, string[] lineEnds, string body, int lengthError, string damage)
    {
        var text = new StringBuilder(blankLines).Append(startLine).Append(lineEnds[0]);
        for (int i = 0; i < headers.Length; i++)
        {
            // A fold keeps its own CRLF; a generated LF line end elsewhere makes the line ends mixed.
            text.Append(i == 1 ? headers[i] + damage : headers[i]).Append(lineEnds[i + 1]);
        }

        text.Append("Content-Length: ").Append(Math.Max(0, body.Length + lengthError)).Append(lineEnds[^2]);
        return text.Append(lineEnds[^1]).Append(body).ToString();
    }
}
