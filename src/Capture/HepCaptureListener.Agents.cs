using SipTraceContext.Capture.Internal;
using SipTraceContext.Conventions;
using SipTraceContext.Instrumentation;

namespace SipTraceContext.Capture;

// One call tracer per capture agent: created on first packet, bounded, released when idle.
public sealed partial class HepCaptureListener
{
    /// <summary>The agent's node, created on its first packet; called by its shard's consumer, under the shard's record lock.</summary>
    private CaptureNode? GetNode(uint agentId, ConsumerShard shard)
    {
        lock (_nodesLock)
        {
            if (_nodes.TryGetValue(agentId, out CaptureNode? node))
            {
                return node;
            }

            if (_nodesClosed)
            {
                return null;
            }

            if (_nodes.Count >= _maxCaptureAgents)
            {
                // A slot may be held by an agent gone quiet since the last sweep: free it now.
                ReleaseIdleNodes();
                if (_nodes.Count >= _maxCaptureAgents)
                {
                    return null;
                }
            }

            // agent id 0 means the packet named none: no tag then. Otherwise the agent id also goes on
            // every measurement of this node's tracer, so each node's metrics stay their own series.
            SipCallTracerOptions options = _tracerOptions;
            if (agentId != 0)
            {
                options = _tracerOptions.Clone();
                options.MetricTags = [.. _tracerOptions.MetricTags, new(SipAttributes.CaptureAgentId, (long)agentId)];
            }

            NodeEndPoint[] endPoints = _nodeEndPointsByAgent.TryGetValue(agentId, out NodeEndPoint[]? own) ? own : [];
            node = new CaptureNode(new SipCallTracer(options, _timeProvider), agentId, agentId == 0 ? null : (long)agentId, endPoints, shard)
            {
                LastPacket = _timeProvider.GetTimestamp(),
            };
            _nodes.Add(agentId, node);
            CaptureEventSource.Log.CaptureAgentAdded(agentId);
            return node;
        }
    }

    private void CloseNodes()
    {
        CaptureNode[] nodes;
        lock (_nodesLock)
        {
            _nodesClosed = true;
            nodes = [.. _nodes.Values];
            _nodes.Clear();
        }

        foreach (CaptureNode node in nodes)
        {
            node.Closed = true;
            node.Tracer.Dispose();
        }
    }

    /// <summary>
    /// Releases the agents idle for the timeout whose shard's record lock this thread holds or can take
    /// without waiting (an agent of a busy shard waits for the next sweep); called under the nodes lock.
    /// </summary>
    private void ReleaseIdleNodes()
    {
        if (_agentIdleTimeout == Timeout.InfiniteTimeSpan || _nodesClosed)
        {
            return;
        }

        List<CaptureNode>? idle = null;
        foreach (CaptureNode node in _nodes.Values)
        {
            if (_timeProvider.GetElapsedTime(node.LastPacket) >= _agentIdleTimeout)
            {
                (idle ??= []).Add(node);
            }
        }

        if (idle is null)
        {
            return;
        }

        foreach (CaptureNode node in idle)
        {
            // Never waits here: the nodes lock is held, and consumers take it after their shard's lock.
            object shardLock = node.Shard.RecordLock;
            bool entered = false;
            if (!Monitor.IsEntered(shardLock) && !(entered = Monitor.TryEnter(shardLock)))
            {
                continue;
            }

            try
            {
                _nodes.Remove(node.AgentId);
                node.Closed = true;

                // Its open spans end as evictions and its live calls count in sip.call.evictions, rather
                // than ending silently as they would at a stop.
                node.Tracer.EvictAll(SipAttributes.EvictionReasonValues.AgentIdle);
                node.Tracer.Dispose();
                CaptureEventSource.Log.CaptureAgentRemoved(node.AgentId);
            }
            finally
            {
                if (entered)
                {
                    Monitor.Exit(shardLock);
                }
            }
        }
    }

    /// <summary>A capture agent's call tracer, its id (boxed once for the span tag), its node's direction state, its shard and when it last sent.</summary>
    private sealed class CaptureNode(SipCallTracer tracer, uint agentId, object? agentTag, NodeEndPoint[] endPoints, ConsumerShard shard)
    {
        private long _lastPacket;

        /// <summary>The shard whose consumer records the agent's packets.</summary>
        public ConsumerShard Shard { get; } = shard;

        /// <summary>The node's own endpoints (<see cref="HepCaptureOptions.NodeEndPointsByAgent"/>), empty when none.</summary>
        public NodeEndPoint[] EndPoints { get; } = endPoints;

        /// <summary>The node's Via rule; used under its shard's record lock.</summary>
        public ViaDirection Via { get; } = new();

        public SipCallTracer Tracer { get; } = tracer;

        public uint AgentId { get; } = agentId;

        public object? AgentTag { get; } = agentTag;

        /// <summary>The <see cref="TimeProvider.GetTimestamp"/> of its last packet; written by its shard's consumer, read by whoever sweeps idle agents.</summary>
        public long LastPacket
        {
            get => Volatile.Read(ref _lastPacket);
            set => Volatile.Write(ref _lastPacket, value);
        }

        /// <summary>Released (idle agent or listener stopped): its tracer is disposed.</summary>
        public bool Closed { get; set; }
    }
}
