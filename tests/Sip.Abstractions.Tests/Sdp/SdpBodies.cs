using System.Text;

namespace SipTraceContext.Sip.Tests.Sdp;

/// <summary>Hand-written SDP bodies shaped like what VoLTE/VoNR handsets and IMS nodes send.</summary>
internal static class SdpBodies
{
    /// <summary>A VoLTE offer: AMR-WB first, EVS, AMR, two telephone-events, preconditions; session and media bandwidth; IPv6.</summary>
    public const string VolteOffer =
        "v=0\r\n" +
        "o=- 1733228562 1 IN IP6 2001:db8:10::1\r\n" +
        "s=-\r\n" +
        "c=IN IP6 2001:db8:10::1\r\n" +
        "b=AS:84\r\n" +
        "t=0 0\r\n" +
        "m=audio 49152 RTP/AVP 116 107 97 111 110\r\n" +
        "b=AS:41\r\n" +
        "b=RS:0\r\n" +
        "b=RR:1537\r\n" +
        "b=TIAS:64000\r\n" +
        "a=rtpmap:116 AMR-WB/16000/1\r\n" +
        "a=fmtp:116 mode-change-capability=2;max-red=0\r\n" +
        "a=rtpmap:107 EVS/16000\r\n" +
        "a=fmtp:107 br=5.9-24.4;bw=nb-swb;max-red=0\r\n" +
        "a=rtpmap:97 AMR/8000/1\r\n" +
        "a=rtpmap:111 telephone-event/16000\r\n" +
        "a=fmtp:111 0-15\r\n" +
        "a=rtpmap:110 telephone-event/8000\r\n" +
        "a=ptime:20\r\n" +
        "a=maxptime:240\r\n" +
        "a=curr:qos local none\r\n" +
        "a=curr:qos remote none\r\n" +
        "a=des:qos mandatory local sendrecv\r\n" +
        "a=des:qos optional remote sendrecv\r\n" +
        "a=sendrecv\r\n";

    /// <summary>An EVS-first answer with only media-level bandwidth, a video stream first, bare LF line ends.</summary>
    public const string VideoFirstEvsAnswer =
        "v=0\n" +
        "o=ims 2890844526 2890842807 IN IP4 192.0.2.10\n" +
        "s=-\n" +
        "t=0 0\n" +
        "m=video 49154 RTP/AVPF 99 100\n" +
        "c=IN IP4 192.0.2.10\n" +
        "b=AS:960\n" +
        "a=rtpmap:99 H264/90000\n" +
        "a=rtpmap:100 H265/90000\n" +
        "m=audio 49152 RTP/AVP 96 101\n" +
        "c=IN IP6 2001:db8::5\n" +
        "b=TIAS:24400\n" +
        "a=rtpmap:101 telephone-event/16000\n" +
        "a=rtpmap:96 EVS/16000/1\n" +
        "a=sendrecv\n";

    /// <summary>A plain SIP trunk offer with static payload types and no rtpmap.</summary>
    public const string StaticPcmu =
        "v=0\r\n" +
        "o=- 1 1 IN IP4 198.51.100.7\r\n" +
        "s=call\r\n" +
        "c=IN IP4 198.51.100.7\r\n" +
        "t=0 0\r\n" +
        "m=audio 5004 RTP/AVP 0 8 18 101\r\n" +
        "a=rtpmap:101 telephone-event/8000\r\n";

    public static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    public static string Text(ReadOnlySpan<byte> bytes) => Encoding.UTF8.GetString(bytes);
}
