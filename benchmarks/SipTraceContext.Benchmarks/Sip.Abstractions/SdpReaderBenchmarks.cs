using System.Text;
using BenchmarkDotNet.Attributes;
using SipTraceContext.Sip.Ims;
using SipTraceContext.Sip.Sdp;
using SipTraceContext.Sip.Syntax;

namespace SipTraceContext.Benchmarks.SipAbstractions;

/// <summary>
/// What a P-CSCF helper reads from an INVITE for its span attributes: the first audio codec and the
/// bandwidth from a ~700 B VoLTE SDP offer, the ICID, the access type and the asserted identity.
/// The baseline is the floor: one vectorized search for the first <c>a=rtpmap:</c> line, with no
/// parsing. Every method must show 0 B allocated.
/// </summary>
[MemoryDiagnoser]
public class SdpReaderBenchmarks
{
    private byte[] _offer = [];
    private byte[] _chargingVector = [];
    private byte[] _accessNetworkInfo = [];
    private byte[] _assertedIdentity = [];

    [GlobalSetup]
    public void Setup()
    {
        _offer = Encoding.ASCII.GetBytes(
            "v=0\r\no=- 1733228562 1 IN IP6 2001:db8:10::1\r\ns=-\r\nc=IN IP6 2001:db8:10::1\r\nt=0 0\r\n" +
            "m=audio 49152 RTP/AVP 116 107 97 111 110\r\nb=AS:41\r\nb=RS:0\r\nb=RR:1537\r\nb=TIAS:64000\r\n" +
            "a=rtpmap:116 AMR-WB/16000/1\r\na=fmtp:116 mode-change-capability=2;max-red=0\r\n" +
            "a=rtpmap:107 EVS/16000\r\na=fmtp:107 br=5.9-24.4;bw=nb-swb;max-red=0\r\na=rtpmap:97 AMR/8000/1\r\n" +
            "a=rtpmap:111 telephone-event/16000\r\na=fmtp:111 0-15\r\na=rtpmap:110 telephone-event/8000\r\n" +
            "a=ptime:20\r\na=maxptime:240\r\na=curr:qos local none\r\na=curr:qos remote none\r\n" +
            "a=des:qos mandatory local sendrecv\r\na=des:qos optional remote sendrecv\r\na=sendrecv\r\n");
        _chargingVector = "icid-value=\"AyretyU0dm+6O2IrT5tAFrbHLso=023551024\";icid-generated-at=192.0.6.8;orig-ioi=home1.net"u8.ToArray();
        _accessNetworkInfo = "3GPP-E-UTRAN-FDD;utran-cell-id-3gpp=234150999999999"u8.ToArray();
        _assertedIdentity = "\"Alice\" <sip:+15551230000@ims.example.net;user=phone>, <tel:+15551230000>"u8.ToArray();
    }

    /// <summary>The floor: where the first rtpmap line starts, nothing parsed.</summary>
    [Benchmark(Baseline = true)]
    public int IndexOf_first_rtpmap() => _offer.AsSpan().IndexOf("a=rtpmap:"u8);

    /// <summary>Every line of the body, typed and split.</summary>
    [Benchmark]
    public int Read_all_lines()
    {
        var reader = new SdpReader(_offer);
        int total = 0;
        while (reader.Read())
        {
            total += reader.Current.Value.Length;
        }

        return total;
    }

    /// <summary><c>ims.sdp.codec</c>: the first audio payload type's encoding name.</summary>
    [Benchmark]
    public int First_audio_codec() => SdpReader.TryGetFirstAudioCodec(_offer, out ReadOnlySpan<byte> codec) ? codec.Length : -1;

    /// <summary><c>ims.sdp.bandwidth</c>: b=AS, else TIAS / 1000.</summary>
    [Benchmark]
    public long Bandwidth_kbps() => SdpReader.TryGetBandwidthKbps(_offer, out long kbps) ? kbps : -1;

    /// <summary>The P-header attributes: ICID, access type, asserted TEL identity and its user part.</summary>
    [Benchmark]
    public int Ims_headers()
    {
        int total = 0;
        if (PChargingVector.TryParse(_chargingVector, out PChargingVector vector))
        {
            total += vector.IcidValue.Length;
        }

        if (PAccessNetworkInfo.TryParse(_accessNetworkInfo, out PAccessNetworkInfo access))
        {
            total += access.AccessType.Length;
        }

        if (SipIdentityList.TryGetTelUri(_assertedIdentity, out ReadOnlySpan<byte> tel) && SipUri.TryGetUserPart(tel, out ReadOnlySpan<byte> user))
        {
            total += user.Length;
        }

        return total;
    }
}
