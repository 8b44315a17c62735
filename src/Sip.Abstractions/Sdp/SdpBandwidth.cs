using SipTraceContext.Sip.Internal;

namespace SipTraceContext.Sip.Sdp;

/// <summary>The value of a <c>b=</c> line: a bandwidth type and a number.</summary>
internal readonly ref struct SdpBandwidth
{
    // bandwidth-field = %s"b" "=" bwtype ":" bandwidth CRLF
    // bwtype          = token                 ; CT, AS (RFC 8866 §5.8), TIAS (RFC 3890), RS, RR (RFC 3556)
    // bandwidth       = 1*DIGIT               ; kbit/s for AS and CT, bit/s for TIAS

    private const int BitsPerKilobit = 1000;

    private SdpBandwidth(ReadOnlySpan<byte> type, long value)
    {
        Type = type;
        Value = value;
    }

    /// <summary>The bandwidth type as written: <c>AS</c>, <c>CT</c>, <c>TIAS</c>, <c>RS</c>, <c>RR</c>, ...</summary>
    public ReadOnlySpan<byte> Type { get; }

    /// <summary>The number, in the unit of its type (kbit/s for AS and CT, bit/s for TIAS, RS and RR).</summary>
    public long Value { get; }

    /// <summary>Whether the type is <c>AS</c> (application specific maximum, kbit/s).</summary>
    public bool IsApplicationSpecific => Type.SequenceEqual("AS"u8);

    /// <summary>Whether the type is <c>TIAS</c> (transport independent application specific maximum, bit/s, RFC 3890).</summary>
    public bool IsTias => Type.SequenceEqual("TIAS"u8);

    /// <summary>Whether the type is <c>CT</c> (conference total, kbit/s).</summary>
    public bool IsConferenceTotal => Type.SequenceEqual("CT"u8);

    /// <summary>The bandwidth in kbit/s for AS, CT and TIAS (TIAS / 1000, rounded up so that a non-zero value stays non-zero).</summary>
    /// <param name="kilobitsPerSecond">The bandwidth; 0 for another type.</param>
    /// <returns>Whether the type has a kbit/s value.</returns>
    public bool TryGetKbps(out long kilobitsPerSecond)
    {
        kilobitsPerSecond = IsApplicationSpecific || IsConferenceTotal ? Value : IsTias ? BitsToKilobits(Value) : -1;
        if (kilobitsPerSecond < 0)
        {
            kilobitsPerSecond = 0;
            return false;
        }

        return true;
    }

    /// <summary>Parses the value of a <c>b=</c> line (what follows <c>b=</c>).</summary>
    /// <param name="value">The line value, for example <c>AS:49</c> or <c>TIAS:64000</c>.</param>
    /// <param name="bandwidth">The type and number; the type points into <paramref name="value"/>.</param>
    /// <returns><see langword="false"/> when the type is not a token or the number is not 1 to 18 digits.</returns>
    public static bool TryParse(ReadOnlySpan<byte> value, out SdpBandwidth bandwidth)
    {
        int colon = value.IndexOf(SipGrammar.Colon);
        if (colon > 0 && SipGrammar.IsToken(value[..colon]) && SdpNumber.TryParse(SipGrammar.TrimWhitespaceEnd(value[(colon + 1)..]), out long number))
        {
            bandwidth = new SdpBandwidth(value[..colon], number);
            return true;
        }

        bandwidth = default;
        return false;
    }

    internal static long BitsToKilobits(long bits) => (bits + BitsPerKilobit - 1) / BitsPerKilobit;
}
