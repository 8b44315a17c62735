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
    /// Returns <paramref name="message"/> with every trace header (<c>P-OTel-*</c>, <c>X-OTel-*</c> and fallbacks)
    /// removed: for egress to handsets and to other networks.
    /// </summary>
    /// <param name="message">The raw SIP message.</param>
    /// <returns>
    /// The message without trace headers, as <see cref="SipMessageReader"/> reads it; <b>empty</b> when the reader
    /// does not read one complete SIP message (see the remarks).
    /// </returns>
    /// <remarks>
    /// <para>
    /// This fails closed. A message the raw propagator's fast path refuses (an unusual shape, more trace header
    /// lines than it tracks) has its trace headers removed through <see cref="SipMessageReader"/> and
    /// <see cref="SipMessageEditor"/> instead, so a handset cannot get a forged context past the node by making
    /// the fast path give up.
    /// </para>
    /// <para>
    /// A message the reader rejects (malformed, over a reader limit, cut short) is not forwarded: the result is
    /// empty. Where such bytes end their header section, and so which trace headers they carry, depends on who
    /// reads them, so no rewrite of them could be shown free of trace headers; and the next SIP stack would
    /// reject them as well. Bytes after the end of the message (per Content-Length) are not forwarded either:
    /// on a stream they would be read as another message. Both fallbacks and refusals are counted in
    /// <c>ims.trace_headers.fallbacks</c>.
    /// </para>
    /// </remarks>
    public byte[] StripTraceHeaders(ReadOnlySpan<byte> message) => Rewrite(message, default);

    /// <summary>
    /// Returns <paramref name="message"/> with its trace headers replaced by <paramref name="context"/>'s;
    /// without trace headers when the context is not valid.
    /// </summary>
    /// <param name="message">The raw SIP message.</param>
    /// <param name="context">The context to send.</param>
    /// <returns>
    /// The message to forward; <b>empty</b> when <see cref="SipMessageReader"/> does not read one complete SIP
    /// message (see <see cref="StripTraceHeaders"/>). When neither path can write the context, the message goes
    /// without trace headers rather than with the ones it came with.
    /// </returns>
    public byte[] Inject(ReadOnlySpan<byte> message, in ActivityContext context) => Rewrite(message, context);

    /// <summary>The message stripped of every trace header and, for a valid <paramref name="context"/>, given its own.</summary>
    private byte[] Rewrite(ReadOnlySpan<byte> message, in ActivityContext context)
    {
        // The raw propagator refuses every message that SipMessageReader would read differently, so its
        // result is what the reader sees; only what it refuses goes the reader's way.
        bool inject = TraceParent.FromActivityContext(context).IsValid;
        byte[] stripped = new byte[message.Length];
        if (_propagator.TryStrip(message, SipTraceHeaderScope.All, stripped, out int strippedLength))
        {
            if (!inject)
            {
                return stripped.AsSpan(0, strippedLength).ToArray();
            }

            byte[] injected = new byte[strippedLength + _propagator.MaxAddedBytes];
            if (_propagator.TryInject(stripped.AsSpan(0, strippedLength), context, injected, out int written))
            {
                return injected.AsSpan(0, written).ToArray();
            }
        }

        return RewriteByReader(message, context, inject);
    }

    /// <summary>The fail-closed path for what the raw propagator refuses: the reader and the editor, or nothing.</summary>
    private byte[] RewriteByReader(ReadOnlySpan<byte> message, in ActivityContext context, bool inject)
    {
        var reader = new SipMessageReader(message);
        if (!reader.IsComplete)
        {
            Metrics.TraceHeadersFallback(ImsAttributes.TraceHeadersOutcomeValues.Refused);
            return [];
        }

        Metrics.TraceHeadersFallback(ImsAttributes.TraceHeadersOutcomeValues.ReaderStrip);
        byte[]? stripped = StripByReader(message[..reader.MessageLength]);
        if (stripped is null)
        {
            // Not reached for a message the reader accepted; refused rather than forwarded as it came.
            Metrics.TraceHeadersFallback(ImsAttributes.TraceHeadersOutcomeValues.Refused);
            return [];
        }

        if (!inject)
        {
            return stripped;
        }

        byte[]? injected = InjectByReader(stripped, context);
        Metrics.TraceHeadersFallback(injected is null ? ImsAttributes.TraceHeadersOutcomeValues.NoContext : ImsAttributes.TraceHeadersOutcomeValues.ReaderInject);
        return injected ?? stripped;
    }

    /// <summary>Removes every trace header name of the options from a message the reader accepted; <c>null</c> if the editor refuses.</summary>
    private byte[]? StripByReader(ReadOnlySpan<byte> message)
    {
        // Removing only shrinks the message. An edit list holds a few names, so the names go in rounds,
        // each reading the previous round's output.
        byte[] current = message.ToArray();
        byte[] next = new byte[message.Length];
        int length = message.Length;
        for (int first = 0; first < _traceHeaderNames.Length; first += SipHeaderEditList.Capacity)
        {
            scoped SipHeaderEditList edits = default;
            for (int i = first; i < Math.Min(first + SipHeaderEditList.Capacity, _traceHeaderNames.Length); i++)
            {
                edits.Remove(_traceHeaderNames[i]);
            }

            if (!SipMessageEditor.TryApply(current.AsSpan(0, length), edits, next, out length, out _))
            {
                return null;
            }

            (current, next) = (next, current);
        }

        return current.AsSpan(0, length).ToArray();
    }

    /// <summary>Writes the context's traceparent and tracestate into a message without trace headers; <c>null</c> if the editor refuses.</summary>
    private byte[]? InjectByReader(byte[] stripped, in ActivityContext context)
    {
        Span<byte> traceParent = stackalloc byte[TraceParent.Length];
        if (!TraceParent.FromActivityContext(context).TryFormat(traceParent, out int traceParentLength))
        {
            return null;
        }

        string? traceState = TraceState.Normalize(context.TraceState, _maxTraceStateLength);
        byte[]? traceStateBytes = traceState is null ? null : Encoding.ASCII.GetBytes(traceState);
        scoped SipHeaderEditList edits = default;
        edits.Set(_traceParentName, traceParent[..traceParentLength]);
        if (traceStateBytes is not null)
        {
            edits.Set(_traceStateName, traceStateBytes);
        }

        byte[] destination = new byte[SipMessageEditor.GetMaxOutputLength(stripped.Length, edits)];
        return SipMessageEditor.TryApply(stripped, edits, destination, out int written, out _)
            ? destination.AsSpan(0, written).ToArray()
            : null;
    }

    /// <summary>Resolves the context of a received request under a trust mode.</summary>
    private protected SipTrustBoundary Resolve(ReadOnlySpan<byte> request, SipTrustMode trust) =>
        _propagator.TryExtract(request, out ActivityContext remote) ? SipTrustBoundary.Resolve(remote, trust) : default;

    /// <summary>Starts the span of a request this node received and prepares the bytes it forwards.</summary>
    private protected ImsSpan StartHop(ReadOnlySpan<byte> request, string name, ImsSpanRole role, ImsFacts facts, SipTrustMode trust, bool injectOnForward, bool recordsSetupTime = false)
    {
        SipTrustBoundary boundary = Resolve(request, trust);
        Activity? activity = ImsTelemetry.Start(name, ActivityKind.Server, boundary.Parent, boundary.CreateLinks());
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

        ActivityContext sent = activity?.Context ?? boundary.Parent;
        byte[] forward = injectOnForward ? Inject(request, sent) : StripTraceHeaders(request);
        return new ImsSpan(this, activity, role, forward, recordMetrics: true, boundary.Parent)
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
        Activity? activity = ImsTelemetry.Start(name, kind, parent, links: null);
        return new ImsSpan(this, activity, role, ReadOnlyMemory<byte>.Empty, recordMetrics: true, parent)
        {
            HssCommand = hssCommand,
            AsService = asService,
        };
    }
}
