using System.Buffers.Binary;

namespace SipTraceContext.Capture.Internal;

/// <summary>
/// Cuts the SIP messages out of captured TCP segments, per flow (one direction of a connection): the
/// segments in sequence order, each message by its Content-Length (RFC 3261 §18.3). Bounded: at most
/// <see cref="MaxFlows"/> flows (the least recently used is forgotten for a new one), each holding at most
/// <see cref="MaxMessageLength"/> bytes of an unfinished message; a gap (a segment not captured), a
/// message longer than that or a header block that is not SIP empties the flow's buffer and counts.
/// </summary>
internal sealed class SipStreamReassembler(int maxFlows)
{
    /// <summary>The longest message kept: what fits in a HEP packet with its addresses.</summary>
    public const int MaxMessageLength = ushort.MaxValue - 160;

    private readonly Dictionary<FlowKey, Flow> _flows = [];
    private long _clock;

    public int MaxFlows { get; } = maxFlows;

    /// <summary>Flows open now.</summary>
    public int Flows => _flows.Count;

    /// <summary>Bytes thrown away: after a gap, in a message too long, in a header block that is not SIP, of a flow forgotten for a new one.</summary>
    public long BytesDiscarded { get; private set; }

    /// <summary>Segments whose bytes were captured before (retransmissions), skipped.</summary>
    public long Retransmissions { get; private set; }

    /// <summary>Takes a segment; calls <paramref name="message"/> for each message it completes.</summary>
    public void Add<TState>(in CapturedPacket segment, TState state, MessageHandler<TState> message)
    {
        var key = new FlowKey(segment.SourceAddress, segment.DestinationAddress, segment.SourcePort, segment.DestinationPort);
        _clock++;
        if (segment.Rst || segment.Syn)
        {
            // A new connection (or a reset one): whatever was pending is not part of it.
            Forget(key);
            if (segment.Rst)
            {
                return;
            }
        }

        ReadOnlySpan<byte> payload = segment.Payload;
        if (payload.IsEmpty && !segment.Syn)
        {
            if (segment.Fin)
            {
                Forget(key);
            }

            return;
        }

        if (!_flows.TryGetValue(key, out Flow? flow))
        {
            if (_flows.Count >= MaxFlows)
            {
                ForgetLeastRecent();
            }

            // After a SYN the data starts one further; a flow met mid-stream starts here.
            flow = new Flow { Next = segment.Syn ? segment.Sequence + 1 : segment.Sequence };
            _flows.Add(key, flow);
            if (segment.Syn)
            {
                flow.LastUsed = _clock;
                return;
            }
        }

        flow.LastUsed = _clock;
        int ahead = (int)(segment.Sequence - flow.Next);
        if (ahead > 0)
        {
            // Bytes between were not captured: what waits cannot be completed.
            BytesDiscarded += flow.Length;
            flow.Length = 0;
            flow.Next = segment.Sequence;
        }
        else if (ahead < 0)
        {
            if (-(long)ahead >= payload.Length)
            {
                Retransmissions++;
                return;
            }

            payload = payload.Slice(-ahead);
        }

        flow.Next += (uint)payload.Length;
        while (!payload.IsEmpty)
        {
            int room = MaxMessageLength - flow.Length;
            int take = Math.Min(room, payload.Length);
            flow.Append(payload.Slice(0, take));
            payload = payload.Slice(take);
            Cut(flow, state, message);
            if (flow.Length >= MaxMessageLength)
            {
                // No message fits: the buffer is full of one too long (or of no message at all).
                BytesDiscarded += flow.Length;
                flow.Length = 0;
            }
        }

        if (segment.Fin)
        {
            Forget(key);
        }
    }

    private void Cut<TState>(Flow flow, TState state, MessageHandler<TState> message)
    {
        while (true)
        {
            ReadOnlySpan<byte> pending = flow.Pending;

            // Keep-alives (RFC 5626: CRLFCRLF, answered by CRLF) between messages.
            int start = 0;
            while (start < pending.Length && pending[start] is (byte)'\r' or (byte)'\n')
            {
                start++;
            }

            if (start > 0)
            {
                flow.Consume(start);
                pending = flow.Pending;
            }

            int headerEnd = pending.IndexOf("\r\n\r\n"u8);
            if (headerEnd < 0)
            {
                return;
            }

            ReadOnlySpan<byte> headers = pending.Slice(0, headerEnd + 2);
            int firstLineEnd = headers.IndexOf((byte)'\n');
            if (firstLineEnd < 0 || headers.Slice(0, firstLineEnd).IndexOf("SIP/2.0"u8) < 0 || !TryContentLength(headers, out int contentLength))
            {
                // Not a SIP header block (a flow met mid-message, or not SIP): skip it.
                BytesDiscarded += headerEnd + 4;
                flow.Consume(headerEnd + 4);
                continue;
            }

            long total = (long)headerEnd + 4 + contentLength;
            if (total > MaxMessageLength)
            {
                BytesDiscarded += flow.Length;
                flow.Length = 0;
                return;
            }

            if (pending.Length < total)
            {
                return;
            }

            message(state, pending.Slice(0, (int)total));
            flow.Consume((int)total);
        }
    }

    /// <summary>The Content-Length (or compact "l") header's value; 0 without one; false when it is not a number.</summary>
    internal static bool TryContentLength(ReadOnlySpan<byte> headers, out int contentLength)
    {
        contentLength = 0;
        int lineStart = headers.IndexOf((byte)'\n') + 1;
        while (lineStart > 0 && lineStart < headers.Length)
        {
            ReadOnlySpan<byte> rest = headers.Slice(lineStart);
            int lineEnd = rest.IndexOf((byte)'\n');
            ReadOnlySpan<byte> line = lineEnd < 0 ? rest : rest.Slice(0, lineEnd);
            int colon = line.IndexOf((byte)':');
            if (colon > 0)
            {
                ReadOnlySpan<byte> name = line.Slice(0, colon).TrimEnd((byte)' ').TrimEnd((byte)'\t');
                if (EqualsIgnoreCase(name, "content-length"u8) || EqualsIgnoreCase(name, "l"u8))
                {
                    ReadOnlySpan<byte> value = line.Slice(colon + 1).Trim((byte)' ').Trim((byte)'\t').TrimEnd((byte)'\r').Trim((byte)' ');
                    if (value.IsEmpty || value.Length > 9)
                    {
                        return false;
                    }

                    int number = 0;
                    foreach (byte digit in value)
                    {
                        if (digit is < (byte)'0' or > (byte)'9')
                        {
                            return false;
                        }

                        number = (number * 10) + (digit - '0');
                    }

                    contentLength = number;
                    return true;
                }
            }

            if (lineEnd < 0)
            {
                break;
            }

            lineStart += lineEnd + 1;
        }

        return true;
    }

    private static bool EqualsIgnoreCase(ReadOnlySpan<byte> value, ReadOnlySpan<byte> lower)
    {
        if (value.Length != lower.Length)
        {
            return false;
        }

        for (int i = 0; i < value.Length; i++)
        {
            if ((value[i] | 0x20) != lower[i])
            {
                return false;
            }
        }

        return true;
    }

    private void Forget(FlowKey key)
    {
        if (_flows.TryGetValue(key, out Flow? flow))
        {
            BytesDiscarded += flow.Length;
            _flows.Remove(key);
        }
    }

    private void ForgetLeastRecent()
    {
        FlowKey oldest = default;
        long oldestUse = long.MaxValue;
        foreach (KeyValuePair<FlowKey, Flow> entry in _flows)
        {
            if (entry.Value.LastUsed < oldestUse)
            {
                oldestUse = entry.Value.LastUsed;
                oldest = entry.Key;
            }
        }

        Forget(oldest);
    }

    /// <summary>Receives a message cut from a flow; the span is valid during the call only.</summary>
    public delegate void MessageHandler<in TState>(TState state, ReadOnlySpan<byte> message);

    /// <summary>A flow's pending bytes: grown as needed, never past <see cref="MaxMessageLength"/>.</summary>
    private sealed class Flow
    {
        private byte[] _buffer = [];
        private int _start;

        public uint Next { get; set; }

        public long LastUsed { get; set; }

        public int Length { get; set; }

        public ReadOnlySpan<byte> Pending => _buffer.AsSpan(_start, Length);

        public void Append(ReadOnlySpan<byte> data)
        {
            if (Length == 0)
            {
                _start = 0;
            }

            if (_start + Length + data.Length > _buffer.Length)
            {
                int needed = Length + data.Length;
                byte[] target = needed > _buffer.Length ? new byte[Math.Min(MaxMessageLength, Math.Max(needed, Math.Max(4096, _buffer.Length * 2)))] : _buffer;
                _buffer.AsSpan(_start, Length).CopyTo(target);
                _buffer = target;
                _start = 0;
            }

            data.CopyTo(_buffer.AsSpan(_start + Length));
            Length += data.Length;
        }

        public void Consume(int count)
        {
            _start += count;
            Length -= count;
        }
    }

    /// <summary>One direction of a TCP connection; IPv4 addresses as IPv4-mapped IPv6 ones.</summary>
    private readonly struct FlowKey : IEquatable<FlowKey>
    {
        private readonly ulong _sourceHigh;
        private readonly ulong _sourceLow;
        private readonly ulong _destinationHigh;
        private readonly ulong _destinationLow;
        private readonly uint _ports;

        public FlowKey(ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, ushort sourcePort, ushort destinationPort)
        {
            (_sourceHigh, _sourceLow) = Split(source);
            (_destinationHigh, _destinationLow) = Split(destination);
            _ports = ((uint)sourcePort << 16) | destinationPort;
        }

        public bool Equals(FlowKey other)
            => _sourceHigh == other._sourceHigh && _sourceLow == other._sourceLow && _destinationHigh == other._destinationHigh
               && _destinationLow == other._destinationLow && _ports == other._ports;

        public override bool Equals(object? obj) => obj is FlowKey other && Equals(other);

        public override int GetHashCode() => HashCode.Combine(_sourceHigh, _sourceLow, _destinationHigh, _destinationLow, _ports);

        private static (ulong High, ulong Low) Split(ReadOnlySpan<byte> address)
            => address.Length == 16
                ? (BinaryPrimitives.ReadUInt64BigEndian(address), BinaryPrimitives.ReadUInt64BigEndian(address.Slice(8)))
                : (0UL, 0xFFFF_0000_0000UL | (address.Length == 4 ? BinaryPrimitives.ReadUInt32BigEndian(address) : 0U));
    }
}
