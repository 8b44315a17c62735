using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace SipTraceContext.Benchmarks.Capture;

/// <summary>The HEPv3 packets the capture benchmarks feed: one encoder, and a proxy's mirrored answered call.</summary>
internal static class HepSamples
{
    /// <summary>A HEPv3 packet as Kamailio's siptrace sends it: IPv4, UDP, ports, capture time, SIP, the agent id, the payload.</summary>
    public static byte[] Encode(byte[] sip, IPEndPoint source, IPEndPoint destination, uint seconds = 1_700_000_000, uint micros = 123_456, uint agent = 2001)
    {
        byte[][] chunks =
        [
            Chunk(1, [2]), Chunk(2, [17]),
            Chunk(3, source.Address.GetAddressBytes()), Chunk(4, destination.Address.GetAddressBytes()),
            Chunk(7, U16((ushort)source.Port)), Chunk(8, U16((ushort)destination.Port)),
            Chunk(9, U32(seconds)), Chunk(10, U32(micros)),
            Chunk(11, [1]), Chunk(12, U32(agent)), Chunk(15, sip),
        ];
        int length = 6 + chunks.Sum(c => c.Length);
        var packet = new byte[length];
        "HEP3"u8.CopyTo(packet);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), (ushort)length);
        int offset = 6;
        foreach (byte[] chunk in chunks)
        {
            chunk.CopyTo(packet, offset);
            offset += chunk.Length;
        }

        return packet;
    }

    /// <summary>
    /// An answered call as a proxy's agent mirrors it (INVITE, 180, 200, ACK, BYE, 200, each received and
    /// relayed: 12 packets), with <paramref name="callId"/> as the Call-ID, from capture agent
    /// <paramref name="agent"/>; a request gains the node's Via when relayed, a response loses it.
    /// </summary>
    public static byte[][] MirroredAnsweredCall(string callId, uint seconds = 1_700_000_000, uint agent = 2001)
    {
        var caller = new IPEndPoint(IPAddress.Parse("192.0.2.10"), 5070);
        var node = new IPEndPoint(IPAddress.Parse("192.0.2.5"), 5060);
        var callee = new IPEndPoint(IPAddress.Parse("192.0.2.20"), 5080);
        string callerVia = "SIP/2.0/UDP 192.0.2.10:5070;branch=z9hG4bKc";
        string nodeVia = "SIP/2.0/UDP 192.0.2.5:5060;branch=z9hG4bKn";
        var packets = new List<byte[]>();
        void Through(Func<string[], string> message, bool request)
        {
            string[] outer = [callerVia];
            string[] inner = [nodeVia, callerVia];
            packets.Add(Encode(Encoding.ASCII.GetBytes(message(request ? outer : inner)), request ? caller : callee, node, seconds, agent: agent));
            packets.Add(Encode(Encoding.ASCII.GetBytes(message(request ? inner : outer)), node, request ? callee : caller, seconds, agent: agent));
        }

        string Request(string method, int cseq, string[] vias, bool toTag) =>
            $"{method} sip:bob@192.0.2.20:5080 SIP/2.0\r\n" +
            string.Concat(vias.Select(v => $"Via: {v}{cseq}{method}\r\n")) +
            "Max-Forwards: 70\r\nFrom: <sip:alice@192.0.2.10>;tag=a1\r\n" +
            $"To: <sip:bob@192.0.2.20>{(toTag ? ";tag=b1" : string.Empty)}\r\nCall-ID: {callId}\r\nCSeq: {cseq} {method}\r\nContent-Length: 0\r\n\r\n";

        string Response(int status, string reason, int cseq, string method, string[] vias) =>
            $"SIP/2.0 {status} {reason}\r\n" +
            string.Concat(vias.Select(v => $"Via: {v}{cseq}{method}\r\n")) +
            $"From: <sip:alice@192.0.2.10>;tag=a1\r\nTo: <sip:bob@192.0.2.20>;tag=b1\r\nCall-ID: {callId}\r\nCSeq: {cseq} {method}\r\nContent-Length: 0\r\n\r\n";

        Through(v => Request("INVITE", 1, v, toTag: false), request: true);
        Through(v => Response(180, "Ringing", 1, "INVITE", v), request: false);
        Through(v => Response(200, "OK", 1, "INVITE", v), request: false);
        Through(v => Request("ACK", 1, v, toTag: true), request: true);
        Through(v => Request("BYE", 2, v, toTag: true), request: true);
        Through(v => Response(200, "OK", 2, "BYE", v), request: false);
        return [.. packets];
    }

    /// <summary>Writes the ten decimal digits of <paramref name="call"/> at each packet's offset: a new Call-ID in place.</summary>
    public static void NextCall(byte[][] packets, int[] offsets, long call)
    {
        for (int i = 9; i >= 0; i--)
        {
            byte digit = (byte)('0' + (call % 10));
            call /= 10;
            for (int p = 0; p < packets.Length; p++)
            {
                packets[p][offsets[p] + i] = digit;
            }
        }
    }

    private static byte[] Chunk(ushort type, byte[] value)
    {
        var chunk = new byte[6 + value.Length];
        BinaryPrimitives.WriteUInt16BigEndian(chunk.AsSpan(2), type);
        BinaryPrimitives.WriteUInt16BigEndian(chunk.AsSpan(4), (ushort)chunk.Length);
        value.CopyTo(chunk, 6);
        return chunk;
    }

    private static byte[] U16(ushort value)
    {
        var bytes = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, value);
        return bytes;
    }

    private static byte[] U32(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return bytes;
    }
}
