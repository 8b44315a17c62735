using System.Buffers;
using System.Diagnostics;
using System.Text;
using SipTraceContext.Conventions;
using SipTraceContext.Instrumentation.Internal;
using SipTraceContext.Propagation;
using SipTraceContext.Sip;

namespace SipTraceContext.Instrumentation.Ims;

/// <summary>
/// What every IMS node helper shares: extracting the context of a raw SIP request under a trust mode,
/// starting the node's spans, and rewriting the trace headers of the messages it forwards.
/// </summary>
public abstract class ImsNode
{
    private readonly SipRawPropagator _propagator;

    // The reader-based path removes exactly what the fast path strips: both come from the same options.
    private readonly byte[][] _traceHeaderNames;
    private readonly byte[] _traceParentName;
    private readonly byte[] _traceStateName;
    private readonly int _maxTraceStateLength;

    // The call tracer's formatter: one privacy implementation for sip.from/sip.to and the IMS identities.
    private readonly AddressFormatter _addresses;

    /// <summary>Creates the node helper.</summary>
    /// <param name="options">The options, read once here; <c>null</c> for the defaults.</param>
    private protected ImsNode(ImsNodeOptions? options)
    {
        options ??= new ImsNodeOptions();
        SipPropagationOptions propagation = options.Propagation ?? new SipPropagationOptions { Style = SipHeaderStyle.POTel };
        _propagator = new SipRawPropagator(propagation);
        _traceHeaderNames = [.. propagation.GetTraceHeaderNames(SipTraceHeaderScope.All).Select(Encoding.ASCII.GetBytes)];
        _traceParentName = Encoding.ASCII.GetBytes(_propagator.TraceParentHeaderName);
        _traceStateName = Encoding.ASCII.GetBytes(_propagator.TraceStateHeaderName);
        _maxTraceStateLength = propagation.MaxTraceStateLength;
        AccessTrust = options.AccessTrust;
        CoreTrust = options.CoreTrust;
        Metrics = new ImsNodeMetrics(options.MetricTags);
        _addresses = new AddressFormatter(options.AddressPrivacy, options.HashKey);
    }

    /// <summary>How requests from handsets are trusted.</summary>
    public SipTrustMode AccessTrust { get; }

    /// <summary>How requests from core nodes are trusted.</summary>
    public SipTrustMode CoreTrust { get; }

    /// <summary>What this node records into the IMS instruments, with its own metric tags.</summary>
    internal ImsNodeMetrics Metrics { get; }

    /// <summary>
    /// The most bytes <see cref="TryInject"/> adds to a message: a destination of the message's length plus this
    /// is always large enough. Removing trace headers adds none.
    /// </summary>
    public int MaxAddedBytes => _propagator.MaxAddedBytes;

    /// <summary>
    /// Writes <paramref name="message"/> to <paramref name="destination"/> with every trace header (<c>P-OTel-*</c>,
    /// <c>X-OTel-*</c> and fallbacks, baggage included) removed: for egress to handsets and to other networks.
    /// </summary>
    /// <param name="message">The raw SIP message.</param>
    /// <param name="destination">
    /// Where the message goes, as <see cref="SipMessageReader"/> reads it; the length of <paramref name="message"/>
    /// is always enough. It must not overlap <paramref name="message"/>.
    /// </param>
    /// <param name="bytesWritten">The length written, or 0 when this returns <see langword="false"/>.</param>
    /// <returns>
    /// <see langword="false"/> when <paramref name="destination"/> is too small (it is then left as it was), or when
    /// the message must not be forwarded at all because the reader does not read one complete SIP message from it
    /// (see the remarks).
    /// </returns>
    /// <remarks>
    /// <para>
    /// This fails closed. A message the raw propagator's fast path refuses (an unusual shape, more trace header
    /// lines than it tracks) has its trace headers removed through <see cref="SipMessageReader"/> and
    /// <see cref="SipMessageEditor"/> instead, so a handset cannot get a forged context past the node by making
    /// the fast path give up.
    /// </para>
    /// <para>
    /// A message the reader rejects (malformed, over a reader limit, cut short) is not forwarded. Where such bytes
    /// end their header section, and so which trace headers they carry, depends on who reads them, so no rewrite
    /// of them could be shown free of trace headers; and the next SIP stack would reject them as well. Bytes after
    /// the end of the message (per Content-Length) are not forwarded either: on a stream they would be read as
    /// another message. Both fallbacks and refusals are counted in <c>ims.trace_headers.fallbacks</c>.
    /// </para>
    /// </remarks>
    public bool TryStripTraceHeaders(ReadOnlySpan<byte> message, Span<byte> destination, out int bytesWritten) =>
        TryRewrite(message, default, inject: false, destination, out bytesWritten);

    /// <summary>
    /// Writes <paramref name="message"/> to <paramref name="destination"/> with its trace headers replaced by
    /// <paramref name="context"/>'s: every trace header it came with removed, as <see cref="TryStripTraceHeaders"/>
    /// removes them, and the context's written in the node's style. When the context is not valid the message goes
    /// without trace headers.
    /// </summary>
    /// <param name="message">The raw SIP message.</param>
    /// <param name="context">The context to send.</param>
    /// <param name="destination">
    /// Where the message goes; <paramref name="message"/>'s length plus <see cref="MaxAddedBytes"/> is always
    /// enough. It must not overlap <paramref name="message"/>.
    /// </param>
    /// <param name="bytesWritten">The length written, or 0 when this returns <see langword="false"/>.</param>
    /// <returns>
    /// <see langword="false"/> when <paramref name="destination"/> is too small (it is then left as it was), or when
    /// the message must not be forwarded at all (see <see cref="TryStripTraceHeaders"/>). When neither path can
    /// write the context, the message goes without trace headers rather than with the ones it came with.
    /// </returns>
    public bool TryInject(ReadOnlySpan<byte> message, in ActivityContext context, Span<byte> destination, out int bytesWritten) =>
        TryRewrite(message, context, TraceParent.FromActivityContext(context).IsValid, destination, out bytesWritten);

    /// <summary>Writes the message stripped of every trace header and, when <paramref name="inject"/> is set, given <paramref name="context"/>'s.</summary>
    internal bool TryRewrite(ReadOnlySpan<byte> message, in ActivityContext context, bool inject, Span<byte> destination, out int bytesWritten)
    {
        int bound = message.Length + (inject ? MaxAddedBytes : 0);
        if (destination.Length >= bound)
        {
            return TryRewriteInto(message, context, inject, destination, out bytesWritten);
        }

        // A smaller destination may still hold the result. It is written elsewhere first, so that one that turns
        // out too small is left as it was rather than half written.
        byte[] scratch = ArrayPool<byte>.Shared.Rent(bound);
        try
        {
            if (TryRewriteInto(message, context, inject, scratch.AsSpan(0, bound), out int length) && scratch.AsSpan(0, length).TryCopyTo(destination))
            {
                bytesWritten = length;
                return true;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }

        bytesWritten = 0;
        return false;
    }

    /// <summary><see cref="TryRewrite"/> into a destination with room for the largest result.</summary>
    private bool TryRewriteInto(ReadOnlySpan<byte> message, in ActivityContext context, bool inject, Span<byte> destination, out int bytesWritten)
    {
        // The raw propagator refuses every message that SipMessageReader would read differently, so its
        // result is what the reader sees; only what it refuses goes the reader's way.
        if (!inject)
        {
            if (_propagator.TryStrip(message, SipTraceHeaderScope.All, destination, out bytesWritten))
            {
                return true;
            }
        }
        else
        {
            // One pass: every trace and baggage header it came with removed, the context's written.
            if (_propagator.TryStripAndInject(message, SipTraceHeaderScope.All, context, destination, out bytesWritten))
            {
                return true;
            }
        }

        return TryRewriteByReader(message, context, inject, destination, out bytesWritten);
    }

    /// <summary>The fail-closed path for what the raw propagator refuses: the reader and the editor, or nothing.</summary>
    private bool TryRewriteByReader(ReadOnlySpan<byte> message, in ActivityContext context, bool inject, Span<byte> destination, out int bytesWritten)
    {
        bytesWritten = 0;
        var reader = new SipMessageReader(message);
        if (!reader.IsComplete)
        {
            Metrics.TraceHeadersFallback(ImsAttributes.TraceHeadersOutcomeValues.Refused);
            return false;
        }

        Metrics.TraceHeadersFallback(ImsAttributes.TraceHeadersOutcomeValues.ReaderStrip);
        int length = reader.MessageLength;
        byte[] first = ArrayPool<byte>.Shared.Rent(length);
        byte[] second = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            if (!TryStripByReader(message[..length], first, second, out ReadOnlySpan<byte> stripped))
            {
                // Not reached for a message the reader accepted; refused rather than forwarded as it came.
                Metrics.TraceHeadersFallback(ImsAttributes.TraceHeadersOutcomeValues.Refused);
                return false;
            }

            if (inject)
            {
                bool injected = TryInjectByReader(stripped, context, destination, out bytesWritten);
                Metrics.TraceHeadersFallback(injected ? ImsAttributes.TraceHeadersOutcomeValues.ReaderInject : ImsAttributes.TraceHeadersOutcomeValues.NoContext);
                if (injected)
                {
                    return true;
                }
            }

            stripped.CopyTo(destination);
            bytesWritten = stripped.Length;
            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(second);
            ArrayPool<byte>.Shared.Return(first);
        }
    }

    /// <summary>
    /// Removes every trace header name of the options from a message the reader accepted, through two buffers of
    /// at least its length; <see langword="false"/> if the editor refuses.
    /// </summary>
    private bool TryStripByReader(ReadOnlySpan<byte> message, byte[] first, byte[] second, out ReadOnlySpan<byte> stripped)
    {
        // Removing only shrinks the message. An edit list holds a few names, so the names go in rounds, each
        // reading the previous round's output and writing to the other buffer.
        stripped = message;
        byte[] next = first;
        for (int from = 0; from < _traceHeaderNames.Length; from += SipHeaderEditList.Capacity)
        {
            scoped SipHeaderEditList edits = default;
            for (int i = from; i < Math.Min(from + SipHeaderEditList.Capacity, _traceHeaderNames.Length); i++)
            {
                edits.Remove(_traceHeaderNames[i]);
            }

            if (!SipMessageEditor.TryApply(stripped, edits, next.AsSpan(0, message.Length), out int length, out _))
            {
                stripped = default;
                return false;
            }

            stripped = next.AsSpan(0, length);
            next = next == first ? second : first;
        }

        return true;
    }

    /// <summary>Writes the context's traceparent and tracestate into a message without trace headers; <see langword="false"/> if the editor refuses.</summary>
    private bool TryInjectByReader(ReadOnlySpan<byte> stripped, in ActivityContext context, Span<byte> destination, out int bytesWritten)
    {
        Span<byte> traceParent = stackalloc byte[TraceParent.Length];
        if (!TraceParent.FromActivityContext(context).TryFormat(traceParent, out int traceParentLength))
        {
            bytesWritten = 0;
            return false;
        }

        string? traceState = TraceState.Normalize(context.TraceState, _maxTraceStateLength);
        byte[]? traceStateBytes = traceState is null ? null : Encoding.ASCII.GetBytes(traceState);
        scoped SipHeaderEditList edits = default;
        edits.Set(_traceParentName, traceParent[..traceParentLength]);
        if (traceStateBytes is not null)
        {
            edits.Set(_traceStateName, traceStateBytes);
        }

        return SipMessageEditor.TryApply(stripped, edits, destination, out bytesWritten, out _);
    }

    /// <summary>Resolves the context of a received request under a trust mode.</summary>
    private protected SipTrustBoundary Resolve(ReadOnlySpan<byte> request, SipTrustMode trust) =>
        _propagator.TryExtract(request, out ActivityContext remote) ? SipTrustBoundary.Resolve(remote, trust) : default;

    /// <summary>Starts the span of a request this node received; <paramref name="injectOnForward"/> is false for a hop towards a handset.</summary>
    private protected ImsSpan StartHop(ReadOnlySpan<byte> request, string name, ImsSpanRole role, ImsFacts facts, SipTrustMode trust, bool injectOnForward, bool recordsSetupTime = false)
    {
        SipTrustBoundary boundary = Resolve(request, trust);
        Activity? activity = ImsTelemetry.Start(name, ActivityKind.Server, boundary.Parent, boundary.CreateLinks(), out ActivityContext context);
        string? accessType = null;
        if (activity is not null && activity.IsAllDataRequested)
        {
            ImsTelemetry.Describe(activity, request, facts, _addresses);
            accessType = activity.GetTagItem(Conventions.ImsAttributes.AccessType) as string;
        }
        else if ((facts & ImsFacts.AccessType) != 0)
        {
            accessType = ImsTelemetry.ReadAccessType(request);
        }

        return new ImsSpan(this, activity, role, injectOnForward, recordMetrics: true, context)
        {
            AccessType = accessType,
            RecordsSetupTime = recordsSetupTime,
        };
    }

    /// <summary>Starts a span of this node under one of its own spans.</summary>
    private protected ImsSpan StartChild(ImsSpan parent, string name, ActivityKind kind, ImsSpanRole role, string? hssCommand = null, string? asService = null)
    {
        ArgumentNullException.ThrowIfNull(parent);
        return StartUnder(parent.Context, name, kind, role, hssCommand, asService);
    }

    /// <summary>Starts a span of this node under a context (its own span's, or one extracted from a request).</summary>
    private protected ImsSpan StartUnder(in ActivityContext parent, string name, ActivityKind kind, ImsSpanRole role, string? hssCommand = null, string? asService = null)
    {
        Activity? activity = ImsTelemetry.Start(name, kind, parent, links: null, out ActivityContext context);
        return new ImsSpan(this, activity, role, injects: true, recordMetrics: true, context)
        {
            HssCommand = hssCommand,
            AsService = asService,
        };
    }
}
