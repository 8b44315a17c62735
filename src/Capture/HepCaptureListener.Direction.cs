using System.Net;
using SipTraceContext.Capture.Internal;
using SipTraceContext.Conventions;
using SipTraceContext.Instrumentation;

namespace SipTraceContext.Capture;

// Which way a captured message went, and the span tags a capture adds.
public sealed partial class HepCaptureListener
{
    private static int FillSpanTags(ConsumerShard shard, in HepPacket hep, CaptureNode node, SipDirection direction)
    {
        KeyValuePair<string, object?>[] tags = shard.SpanTags;
        int count = 0;
        if (node.AgentTag is not null)
        {
            tags[count++] = new(SipAttributes.CaptureAgentId, node.AgentTag);
        }

        bool sent = direction == SipDirection.Out;
        ReadOnlySpan<byte> local = sent ? hep.SourceAddress : hep.DestinationAddress;
        ReadOnlySpan<byte> peer = sent ? hep.DestinationAddress : hep.SourceAddress;
        bool hasPorts = (hep.Fields & (HepFields.SourcePort | HepFields.DestinationPort)) == (HepFields.SourcePort | HepFields.DestinationPort);
        int localPort = sent ? hep.SourcePort : hep.DestinationPort;
        int peerPort = sent ? hep.DestinationPort : hep.SourcePort;
        if (!peer.IsEmpty)
        {
            tags[count++] = new(OtelAttributes.NetworkPeerAddress, ToAddress(peer).ToString());
        }

        if (hasPorts)
        {
            tags[count++] = new(OtelAttributes.NetworkPeerPort, peerPort);
        }

        if (!local.IsEmpty)
        {
            tags[count++] = new(OtelAttributes.NetworkLocalAddress, ToAddress(local).ToString());
        }

        if (hasPorts)
        {
            tags[count++] = new(OtelAttributes.NetworkLocalPort, localPort);
        }

        return count;
    }

#if NET
    private static IPAddress ToAddress(ReadOnlySpan<byte> bytes) => new(bytes);
#else
    private static IPAddress ToAddress(ReadOnlySpan<byte> bytes) => new(bytes.ToArray());
#endif

    private SipDirection ResolveDirection(in HepPacket hep, CaptureNode node, IPAddress? sender, ViaDirection.Scan? scan)
    {
        if (_directionResolver is not null)
        {
            try
            {
                return _directionResolver(in hep);
            }
#pragma warning disable CA1031 // User callbacks never throw into the capture loop.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                if (CaptureEventSource.Log.IsEnabled())
                {
                    CaptureEventSource.Log.CallbackFailed(nameof(HepCaptureOptions.DirectionResolver), exception.ToString());
                }

                if (_resolverErrors.TryAcquire(out long suppressed))
                {
                    CaptureLog.DirectionResolverFailed(_logger, exception, _defaultDirection, suppressed);
                }

                return _defaultDirection;
            }
        }

        // 1. This agent's own node (NodeEndPointsByAgent), 2. the shared NodeEndPoints: decisive only when
        // exactly one side is a node (a message between two listed nodes has one at both ends).
        if (ByEndPoints(in hep, node.EndPoints) is SipDirection byAgent)
        {
            return byAgent;
        }

        if (ByEndPoints(in hep, _nodeEndPoints) is SipDirection byShared)
        {
            return byShared;
        }

        // 3. The node's own Via: paired copies, then its learnt sent-by.
        if (scan is ViaDirection.Scan read && node.Via.Decide(in read) is SipDirection via)
        {
            return via;
        }

        // 4. The HEP sender's address, when it is exactly one side.
        if (sender is not null && !hep.SourceAddress.IsEmpty && !hep.DestinationAddress.IsEmpty)
        {
#if NET
            Span<byte> senderBytes = stackalloc byte[16];
            if (sender.TryWriteBytes(senderBytes, out int written))
            {
                senderBytes = senderBytes[..written];
#else
            {
                ReadOnlySpan<byte> senderBytes = sender.GetAddressBytes();
#endif
                bool fromSource = hep.SourceAddress.SequenceEqual(senderBytes);
                bool fromDestination = hep.DestinationAddress.SequenceEqual(senderBytes);
                if (fromSource != fromDestination)
                {
                    return fromSource ? SipDirection.Out : SipDirection.In;
                }
            }
        }

        return _defaultDirection;
    }

    private static SipDirection? ByEndPoints(in HepPacket hep, NodeEndPoint[] endPoints)
    {
        if (endPoints.Length == 0)
        {
            return null;
        }

        bool sourceIsNode = IsNode(endPoints, hep.SourceAddress, hep.SourcePort);
        bool destinationIsNode = IsNode(endPoints, hep.DestinationAddress, hep.DestinationPort);
        return sourceIsNode == destinationIsNode ? null : sourceIsNode ? SipDirection.Out : SipDirection.In;
    }

    private static bool IsNode(NodeEndPoint[] endPoints, ReadOnlySpan<byte> address, int port)
    {
        if (address.IsEmpty)
        {
            return false;
        }

        foreach (NodeEndPoint node in endPoints)
        {
            if ((node.Port == 0 || node.Port == port) && address.SequenceEqual(node.Address))
            {
                return true;
            }
        }

        return false;
    }

    private static NodeEndPoint[] ToNodeEndPoints(IPEndPoint[] endPoints)
        => [.. endPoints.Select(e => new NodeEndPoint(e.Address.GetAddressBytes(), e.Port))];

    private readonly record struct NodeEndPoint(byte[] Address, int Port);
}
