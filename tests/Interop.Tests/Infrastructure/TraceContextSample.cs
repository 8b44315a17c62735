using System.Diagnostics;
using System.Globalization;

namespace SipTraceContext.Interop.Tests.Infrastructure;

/// <summary>A random trace context a test sends, in W3C text form, and the checks on what arrived.</summary>
internal sealed record TraceContextSample(ActivityTraceId TraceId, ActivitySpanId SpanId, byte Flags, string TraceState)
{
    public string TraceParent => $"00-{TraceId.ToHexString()}-{SpanId.ToHexString()}-{Flags.ToString("x2", CultureInfo.InvariantCulture)}";

    /// <summary>Sampled and random (Trace Context level 2) flags; a two-member tracestate with a random value.</summary>
    public static TraceContextSample Create(byte flags = 0x03) =>
        new(
            ActivityTraceId.CreateRandom(),
            ActivitySpanId.CreateRandom(),
            flags,
            $"interop={ActivitySpanId.CreateRandom().ToHexString()},congo=t61rcWkgMzE");

    public void AssertExtracted(ActivityContext context)
    {
        Assert.Equal(TraceId, context.TraceId);
        Assert.Equal(SpanId, context.SpanId);
        Assert.Equal((ActivityTraceFlags)Flags, context.TraceFlags);
        Assert.Equal(TraceState, context.TraceState);
        Assert.True(context.IsRemote);
    }
}
