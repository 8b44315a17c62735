using SipTraceContext.Conventions;

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
    /// The metric tag value of a method: the registered constant, or <c>_OTHER</c> so that a peer that
    /// invents methods cannot grow the number of series.
    /// </summary>
    public static string MetricValue(ReadOnlySpan<byte> method) => method.Length switch
    {
        3 when method.SequenceEqual("BYE"u8) => SipAttributes.MethodValues.Bye,
        3 when method.SequenceEqual("ACK"u8) => SipAttributes.MethodValues.Ack,
        4 when method.SequenceEqual("INFO"u8) => SipAttributes.MethodValues.Info,
        5 when method.SequenceEqual("PRACK"u8) => SipAttributes.MethodValues.Prack,
        5 when method.SequenceEqual("REFER"u8) => SipAttributes.MethodValues.Refer,
        6 when method.SequenceEqual("INVITE"u8) => SipAttributes.MethodValues.Invite,
        6 when method.SequenceEqual("CANCEL"u8) => SipAttributes.MethodValues.Cancel,
        6 when method.SequenceEqual("UPDATE"u8) => SipAttributes.MethodValues.Update,
        6 when method.SequenceEqual("NOTIFY"u8) => SipAttributes.MethodValues.Notify,
        7 when method.SequenceEqual("OPTIONS"u8) => SipAttributes.MethodValues.Options,
        7 when method.SequenceEqual("MESSAGE"u8) => SipAttributes.MethodValues.Message,
        7 when method.SequenceEqual("PUBLISH"u8) => SipAttributes.MethodValues.Publish,
        8 when method.SequenceEqual("REGISTER"u8) => SipAttributes.MethodValues.Register,
        9 when method.SequenceEqual("SUBSCRIBE"u8) => SipAttributes.MethodValues.Subscribe,
        _ => SipAttributes.MethodValues.Other,
    };
}
