using SipTraceContext.Sip.Internal;

namespace SipTraceContext.Sip.Sdp;

/// <summary>
/// An <c>a=rtpmap</c> value: <c>&lt;payload type&gt; &lt;encoding name&gt;/&lt;clock rate&gt;[/&lt;encoding parameters&gt;]</c>
/// (RFC 8866 §6.6), or the RFC 3551 assignment of a static payload type.
/// </summary>
internal readonly ref struct SdpRtpMap
{
    // rtpmap-value = payload-type SP encoding-name "/" clock-rate [ "/" encoding-params ]
    // payload-type = zero-based-integer          ; 0-127 (RTP, RFC 3550 §5.1: 7 bits)
    // encoding-name = token
    // clock-rate   = integer
    // encoding-params = channels                 ; audio: number of channels, 1 when absent
    // (RFC 8866 §6.6; the ABNF is RFC 4566bis-style, written here for the parts we read)

    /// <summary>The largest RTP payload type: the field is 7 bits (RFC 3550 §5.1).</summary>
    public const int MaxPayloadType = 127;

    internal SdpRtpMap(int payloadType, ReadOnlySpan<byte> encodingName, int clockRate, ReadOnlySpan<byte> encodingParameters, int channels)
    {
        PayloadType = payloadType;
        EncodingName = encodingName;
        ClockRate = clockRate;
        EncodingParameters = encodingParameters;
        Channels = channels;
    }

    /// <summary>The RTP payload type (0-127).</summary>
    public int PayloadType { get; }

    /// <summary>The encoding name as written, for example <c>AMR-WB</c>, <c>EVS</c>, <c>telephone-event</c> (compare ignoring case).</summary>
    public ReadOnlySpan<byte> EncodingName { get; }

    /// <summary>The RTP clock rate in Hz.</summary>
    public int ClockRate { get; }

    /// <summary>The encoding parameters after the second <c>/</c> as written; empty when absent.</summary>
    public ReadOnlySpan<byte> EncodingParameters { get; }

    /// <summary>For audio, the number of channels: <see cref="EncodingParameters"/> as a number, 1 when absent.</summary>
    public int Channels { get; }

    /// <summary>Parses an <c>rtpmap</c> attribute value (what follows <c>a=rtpmap:</c>).</summary>
    /// <param name="value">The attribute value, for example <c>97 AMR-WB/16000/1</c>.</param>
    /// <param name="rtpMap">The parts; spans point into <paramref name="value"/>.</param>
    /// <returns><see langword="false"/> when a part is missing or out of range; never throws.</returns>
    public static bool TryParse(ReadOnlySpan<byte> value, out SdpRtpMap rtpMap)
    {
        rtpMap = default;
        ReadOnlySpan<byte> rest = SipGrammar.TrimLinearWhitespace(value);
        ReadOnlySpan<byte> payloadField = SdpNumber.NextField(ref rest);
        if (!SdpNumber.TryParse(payloadField, 0, MaxPayloadType, out int payloadType))
        {
            return false;
        }

        int slash = rest.IndexOf((byte)'/');
        if (slash < 0)
        {
            return false;
        }

        ReadOnlySpan<byte> name = rest[..slash];
        rest = rest[(slash + 1)..];
        ReadOnlySpan<byte> parameters = default;
        int channels = 1;
        slash = rest.IndexOf((byte)'/');
        if (slash >= 0)
        {
            parameters = rest[(slash + 1)..];
            rest = rest[..slash];
            if (!SdpNumber.TryParse(parameters, 1, int.MaxValue, out channels))
            {
                return false;
            }
        }

        if (!SipGrammar.IsToken(name) || !SdpNumber.TryParse(rest, 1, int.MaxValue, out int clockRate))
        {
            return false;
        }

        rtpMap = new SdpRtpMap(payloadType, name, clockRate, parameters, channels);
        return true;
    }
}
