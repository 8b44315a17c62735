using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;

namespace SipTraceContext.Sip.Internal;

// The header names the parser acts on as it reads each line: which it records, and which may be trace headers.
internal static partial class SipMessageParser
{
    /// <summary>The header names the parser acts on: Content-Length frames the body, the others are recorded in <see cref="FirstFields"/>.</summary>
    private enum NameClass
    {
        Other,
        ContentLength,
        CallId,
        CSeq,
        Via,
        From,
        To,
        XCid,
        SessionId,
        PChargingVector,
        UserAgent,
    }

    /// <summary>
    /// Classifies a header name (long or compact form, any case) by its length first, so most lines
    /// cost one length test and at most one compare.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static NameClass Classify(ReadOnlySpan<byte> name) => name.Length switch
    {
        1 => (name[0] | 0x20) switch
        {
            'l' => NameClass.ContentLength,
            'i' => NameClass.CallId,
            'v' => NameClass.Via,
            'f' => NameClass.From,
            't' => NameClass.To,
            _ => NameClass.Other,
        },
        2 when Ascii.EqualsIgnoreCase(name, SipHeaderNames.ToUtf8) => NameClass.To,
        3 when Ascii.EqualsIgnoreCase(name, SipHeaderNames.ViaUtf8) => NameClass.Via,
        4 when (name[0] | 0x20) == 'c' => Ascii.EqualsIgnoreCase(name, SipHeaderNames.CSeqUtf8) ? NameClass.CSeq : NameClass.Other,
        4 when Ascii.EqualsIgnoreCase(name, SipHeaderNames.FromUtf8) => NameClass.From,
        5 when Ascii.EqualsIgnoreCase(name, SipHeaderNames.XCidUtf8) => NameClass.XCid,
        7 when Ascii.EqualsIgnoreCase(name, SipHeaderNames.CallIdUtf8) => NameClass.CallId,
        10 when (name[0] | 0x20) == 's' => Ascii.EqualsIgnoreCase(name, SipHeaderNames.SessionIdUtf8) ? NameClass.SessionId : NameClass.Other,
        10 when Ascii.EqualsIgnoreCase(name, SipHeaderNames.UserAgentUtf8) => NameClass.UserAgent,
        14 when Ascii.EqualsIgnoreCase(name, SipHeaderNames.ContentLengthUtf8) => NameClass.ContentLength,
        17 when Ascii.EqualsIgnoreCase(name, SipHeaderNames.PChargingVectorUtf8) => NameClass.PChargingVector,
        _ => NameClass.Other,
    };

    // The propagator's trace headers are named <prefix>traceparent and <prefix>tracestate. The last eight
    // bytes, letters folded to lower case, decide: a cheap test per field that lets the propagator look at
    // the few fields it may want instead of every one. It may say yes to a name that is not one (a byte
    // that folds onto a letter); the propagator compares the whole name.
    private const ulong LowerCaseLetters = 0x2020202020202020UL;
    private static readonly ulong s_traceParentEnd = BinaryPrimitives.ReadUInt64LittleEndian("ceparent"u8);
    private static readonly ulong s_traceStateEnd = BinaryPrimitives.ReadUInt64LittleEndian("acestate"u8);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool MayBeTraceField(ReadOnlySpan<byte> name)
    {
        if (name.Length < "tracestate".Length)
        {
            return false;
        }

        ulong end = BinaryPrimitives.ReadUInt64LittleEndian(name[^sizeof(ulong)..]) | LowerCaseLetters;
        return end == s_traceParentEnd || end == s_traceStateEnd;
    }

    /// <summary>
    /// Records field <paramref name="index"/>, whose value starts at <paramref name="valueStart"/>, as the
    /// header's first unless an earlier one was.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RecordFirst(ref FirstField first, int index, int valueStart)
    {
        if (first.Index == FirstFields.Absent)
        {
            first.Index = index < HeaderOffsets.Capacity ? (byte)(index + 1) : FirstFields.NotIndexed;
            first.ValueStart = valueStart;
        }
    }
}
