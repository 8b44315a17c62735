using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace SipTraceContext.Sip.Internal;

/// <summary>
/// Turns a method from the wire into a string, returning a cached constant for the methods every
/// node sees so that reading a start line as strings does not allocate for them.
/// </summary>
internal static class SipMethodNames
{
    /// <summary>The method as a string: the cached constant of a registered method, else a new string.</summary>
    public static string GetString(ReadOnlySpan<byte> method) =>
        TryGetRegistered(method, out string? name) ? name : Encoding.UTF8.GetString(method);

    /// <summary>
    /// The constant for a method of the RFC 3261 set and its extensions every node sees; <c>false</c> for
    /// any other token (the call tracer's metric tags then say <c>_OTHER</c>).
    /// </summary>
    public static bool TryGetRegistered(ReadOnlySpan<byte> method, [NotNullWhen(true)] out string? name)
    {
        // Methods are case-sensitive (RFC 3261 §7.1): "invite" is an extension method, not INVITE.
        name = method.Length switch
        {
            3 when method.SequenceEqual("ACK"u8) => "ACK",
            3 when method.SequenceEqual("BYE"u8) => "BYE",
            4 when method.SequenceEqual("INFO"u8) => "INFO",
            5 when method.SequenceEqual("PRACK"u8) => "PRACK",
            5 when method.SequenceEqual("REFER"u8) => "REFER",
            6 when method.SequenceEqual("INVITE"u8) => "INVITE",
            6 when method.SequenceEqual("CANCEL"u8) => "CANCEL",
            6 when method.SequenceEqual("UPDATE"u8) => "UPDATE",
            6 when method.SequenceEqual("NOTIFY"u8) => "NOTIFY",
            7 when method.SequenceEqual("OPTIONS"u8) => "OPTIONS",
            7 when method.SequenceEqual("MESSAGE"u8) => "MESSAGE",
            7 when method.SequenceEqual("PUBLISH"u8) => "PUBLISH",
            8 when method.SequenceEqual("REGISTER"u8) => "REGISTER",
            9 when method.SequenceEqual("SUBSCRIBE"u8) => "SUBSCRIBE",
            _ => null,
        };
        return name is not null;
    }
}
