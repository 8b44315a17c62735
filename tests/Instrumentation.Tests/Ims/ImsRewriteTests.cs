using System.Diagnostics;
using SipTraceContext.Instrumentation.Ims;
using SipTraceContext.Sip;
using SipTraceContext.Tests.Shared;
using static SipTraceContext.Instrumentation.Tests.Ims.ImsMessages;

namespace SipTraceContext.Instrumentation.Tests.Ims;

/// <summary>
/// The Try-pattern rewrites: into the caller's destination, false with nothing written when it is too small,
/// and no array of their own on the fast path.
/// </summary>
public sealed class ImsRewriteTests
{
    private const byte Untouched = 0xA5;

    private static readonly ActivityContext Own = new(
        ActivityTraceId.CreateFromString("4bf92f3577b34da6a3ce929d0e0e4736"),
        ActivitySpanId.CreateFromString("00f067aa0ba902b7"),
        ActivityTraceFlags.Recorded,
        "own=1");

    private static readonly byte[] Request = Invite("call-rewrite@192.0.2.10", $"P-OTel-Traceparent: {ForgedTraceParent}", "P-OTel-Baggage: k=v");

    public static TheoryData<string> Rewrites => ["inject", "strip", "span"];

    [Theory]
    [MemberData(nameof(Rewrites))]
    public void ADestinationOfExactlyTheResultsLengthIsEnough(string rewrite)
    {
        byte[] expected = Rewrite(rewrite, new byte[Request.Length + 1024], out bool done);
        Assert.True(done);

        byte[] destination = new byte[expected.Length];
        byte[] actual = Rewrite(rewrite, destination, out done);

        Assert.True(done);
        Assert.Equal(expected, actual);
        Assert.True(new SipMessageReader(actual).IsComplete);
    }

    [Theory]
    [MemberData(nameof(Rewrites))]
    public void ADestinationTooSmallReturnsFalseWithNothingWritten(string rewrite)
    {
        int needed = Rewrite(rewrite, new byte[Request.Length + 1024], out _).Length;
        foreach (int length in new[] { 0, 1, needed / 2, needed - 1 })
        {
            byte[] destination = Enumerable.Repeat(Untouched, length).ToArray();

            Span<byte> written = Rewrite(rewrite, destination, out bool done, out int bytesWritten);

            Assert.False(done);
            Assert.Equal(0, bytesWritten);
            Assert.True(written.IsEmpty);
            Assert.All(destination, b => Assert.Equal(Untouched, b));
        }
    }

    [Fact]
    public void TheMessageLengthPlusMaxAddedBytesIsEnoughForTheLongestTraceState()
    {
        var pcscf = new PcscfInstrumentation();
        string longState = string.Join(',', Enumerable.Range(0, 32).Select(i => $"vendor{i}=" + new string('x', 200)));
        var context = new ActivityContext(Own.TraceId, Own.SpanId, Own.TraceFlags, longState);
        byte[] destination = new byte[Request.Length + pcscf.MaxAddedBytes];

        Assert.True(pcscf.TryInject(Request, context, destination, out int written));
        Assert.True(new SipMessageReader(destination.AsSpan(0, written)).IsComplete);
    }

    [Fact]
    public void TheFastPathAllocatesNothing()
    {
        var scscf = new ScscfInstrumentation();
        byte[] destination = new byte[Request.Length + scscf.MaxAddedBytes];
        byte[] stripped = new byte[Request.Length];

        // Warm-up: the shared pool fills its bucket on first use.
        Assert.True(scscf.TryInject(Request, Own, destination, out _));
        Assert.True(scscf.TryStripTraceHeaders(Request, stripped, out _));
        Allocations.AssertNone(() =>
        {
            for (int i = 0; i < 10; i++)
            {
                scscf.TryInject(Request, Own, destination, out _);
                scscf.TryStripTraceHeaders(Request, stripped, out _);
            }
        });
    }

    private static byte[] Rewrite(string rewrite, byte[] destination, out bool done) =>
        Rewrite(rewrite, destination, out done, out _).ToArray();

    private static Span<byte> Rewrite(string rewrite, byte[] destination, out bool done, out int bytesWritten)
    {
        var pcscf = new PcscfInstrumentation();
        done = rewrite switch
        {
            "inject" => pcscf.TryInject(Request, Own, destination, out bytesWritten),
            "strip" => pcscf.TryStripTraceHeaders(Request, destination, out bytesWritten),
            _ => SpanRewrite(destination, out bytesWritten),
        };
        return destination.AsSpan(0, bytesWritten);
    }

    private static bool SpanRewrite(byte[] destination, out int bytesWritten)
    {
        // Unrecorded (no listener), an S-CSCF span sends the context it trusts: the same bytes every time.
        using ImsSpan span = new ScscfInstrumentation().StartInvite(Request);
        return span.TryRewriteTraceHeaders(Request, destination, out bytesWritten);
    }
}
