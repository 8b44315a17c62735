using SipTraceContext.Conventions;
using SipTraceContext.Sip.Internal;

namespace SipTraceContext.Instrumentation.Internal;

/// <summary>The methods the call tracer acts on; everything else is <see cref="Other"/>.</summary>
internal enum SipMethodKind : byte
{
    Other,
    Invite,
    Ack,
    Bye,
    Cancel,
}

/// <summary>Maps method tokens to the tracer's kinds and to bounded metric tag values.</summary>
internal static class SipMethods
{
    // RFC 3261 §7.1: methods are case-sensitive, so an exact byte comparison is the right test.
    public static SipMethodKind Classify(ReadOnlySpan<byte> method) => method.Length switch
    {
        3 when method.SequenceEqual("BYE"u8) => SipMethodKind.Bye,
        3 when method.SequenceEqual("ACK"u8) => SipMethodKind.Ack,
        6 when method.SequenceEqual("INVITE"u8) => SipMethodKind.Invite,
        6 when method.SequenceEqual("CANCEL"u8) => SipMethodKind.Cancel,
        _ => SipMethodKind.Other,
    };

    /// <summary>
    /// The metric tag value of a method: the registered constant (one table, Sip.Abstractions'
    /// <see cref="SipMethodNames"/>), or <c>_OTHER</c> so that a peer that invents methods cannot grow
    /// the number of series.
    /// </summary>
    public static string MetricValue(ReadOnlySpan<byte> method) =>
        SipMethodNames.TryGetRegistered(method, out string? name) ? name : SipAttributes.MethodValues.Other;
}
