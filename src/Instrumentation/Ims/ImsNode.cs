using System.Diagnostics;
using SipTraceContext.Instrumentation.Internal;
using SipTraceContext.Propagation;

namespace SipTraceContext.Instrumentation.Ims;

/// <summary>
/// What every IMS node helper shares: extracting the context of a raw SIP request under a trust mode,
/// starting the node's spans, and rewriting the trace headers of the messages it forwards.
/// </summary>
public abstract class ImsNode
{
    private readonly SipRawPropagator _propagator;

    // The call tracer's formatter: one privacy implementation for sip.from/sip.to and the IMS identities.
    private readonly AddressFormatter _addresses;

    /// <summary>Creates the node helper.</summary>
    /// <param name="options">The options, read once here; <c>null</c> for the defaults.</param>
    private protected ImsNode(ImsNodeOptions? options)
    {
        options ??= new ImsNodeOptions();
        _propagator = new SipRawPropagator(options.Propagation ?? new SipPropagationOptions { Style = SipHeaderStyle.POTel });
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
    /// <returns>The message without trace headers; a copy of the message when it has no complete header section.</returns>
    public byte[] StripTraceHeaders(ReadOnlySpan<byte> message)
    {
        byte[] buffer = new byte[message.Length];
        return _propagator.TryStrip(message, SipTraceHeaderScope.All, buffer, out int written)
            ? buffer.AsSpan(0, written).ToArray()
            : message.ToArray();
    }

    /// <summary>
    /// Returns <paramref name="message"/> with its trace headers replaced by <paramref name="context"/>'s;
    /// without trace headers when the context is not valid.
    /// </summary>
    /// <param name="message">The raw SIP message.</param>
    /// <param name="context">The context to send.</param>
    /// <returns>The message to forward.</returns>
    public byte[] Inject(ReadOnlySpan<byte> message, in ActivityContext context)
    {
        byte[] stripped = StripTraceHeaders(message);
        if (context.TraceId == default)
        {
            return stripped;
        }

        byte[] buffer = new byte[stripped.Length + _propagator.MaxAddedBytes];
        return _propagator.TryInject(stripped, context, buffer, out int written)
            ? buffer.AsSpan(0, written).ToArray()
            : stripped;
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
