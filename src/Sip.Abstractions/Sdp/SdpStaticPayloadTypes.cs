namespace SipTraceContext.Sip.Sdp;

/// <summary>The static RTP payload types of RFC 3551 §6 (tables 4 and 5), for <c>m=</c> lines without an <c>a=rtpmap</c>.</summary>
internal static class SdpStaticPayloadTypes
{
    /// <summary>The assignment of a static payload type as an <see cref="SdpRtpMap"/> whose spans point to static data.</summary>
    /// <param name="payloadType">The payload type.</param>
    /// <param name="rtpMap">The encoding name, clock rate and channels.</param>
    /// <returns><see langword="false"/> for a dynamic, reserved or unassigned payload type.</returns>
    public static bool TryGet(int payloadType, out SdpRtpMap rtpMap)
    {
        rtpMap = payloadType switch
        {
            0 => new SdpRtpMap(0, "PCMU"u8, 8000, default, 1),
            3 => new SdpRtpMap(3, "GSM"u8, 8000, default, 1),
            4 => new SdpRtpMap(4, "G723"u8, 8000, default, 1),
            5 => new SdpRtpMap(5, "DVI4"u8, 8000, default, 1),
            6 => new SdpRtpMap(6, "DVI4"u8, 16000, default, 1),
            7 => new SdpRtpMap(7, "LPC"u8, 8000, default, 1),
            8 => new SdpRtpMap(8, "PCMA"u8, 8000, default, 1),
            9 => new SdpRtpMap(9, "G722"u8, 8000, default, 1), // 8000 by RFC 3551's historical error; the codec samples at 16 kHz
            10 => new SdpRtpMap(10, "L16"u8, 44100, "2"u8, 2),
            11 => new SdpRtpMap(11, "L16"u8, 44100, default, 1),
            12 => new SdpRtpMap(12, "QCELP"u8, 8000, default, 1),
            13 => new SdpRtpMap(13, "CN"u8, 8000, default, 1),
            14 => new SdpRtpMap(14, "MPA"u8, 90000, default, 1),
            15 => new SdpRtpMap(15, "G728"u8, 8000, default, 1),
            16 => new SdpRtpMap(16, "DVI4"u8, 11025, default, 1),
            17 => new SdpRtpMap(17, "DVI4"u8, 22050, default, 1),
            18 => new SdpRtpMap(18, "G729"u8, 8000, default, 1),
            25 => new SdpRtpMap(25, "CelB"u8, 90000, default, 1),
            26 => new SdpRtpMap(26, "JPEG"u8, 90000, default, 1),
            28 => new SdpRtpMap(28, "nv"u8, 90000, default, 1),
            31 => new SdpRtpMap(31, "H261"u8, 90000, default, 1),
            32 => new SdpRtpMap(32, "MPV"u8, 90000, default, 1),
            33 => new SdpRtpMap(33, "MP2T"u8, 90000, default, 1),
            34 => new SdpRtpMap(34, "H263"u8, 90000, default, 1),
            _ => default,
        };
        return !rtpMap.EncodingName.IsEmpty;
    }
}
