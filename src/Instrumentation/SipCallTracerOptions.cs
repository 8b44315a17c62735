using SipTraceContext.Instrumentation.Internal;
using SipTraceContext.Propagation;

namespace SipTraceContext.Instrumentation;

/// <summary>
/// Options of a <see cref="SipCallTracer"/>. They are read once, when the tracer is created; changing
/// them afterwards has no effect on that tracer.
/// </summary>
/// <remarks>
/// Bindable from <c>IConfiguration</c> (<c>services.Configure&lt;SipCallTracerOptions&gt;(section)</c>):
/// the enums by name, the <see cref="TimeSpan"/> settings as <c>hh:mm:ss</c>, <see cref="HashKey"/> as
/// base64, <see cref="Propagation"/> as a subsection. <see cref="MetricTags"/>, <see cref="TrustSelector"/>,
/// <see cref="Filter"/>, <see cref="EnrichWithRequest"/> and <see cref="EnrichWithResponse"/> are set in
/// code (a <c>Configure</c> delegate).
/// </remarks>
public sealed class SipCallTracerOptions
{
    /// <summary>RFC 3261 T1, the round-trip estimate every SIP timer is a multiple of.</summary>
    private static readonly TimeSpan T1 = TimeSpan.FromMilliseconds(500);

    /// <summary>The default <see cref="TimerB"/>: 64·T1 = 32 s (RFC 3261 §17.1.1.2).</summary>
    public static readonly TimeSpan DefaultTimerB = TimeSpan.FromTicks(64 * T1.Ticks);

    /// <summary>The default <see cref="TimerC"/>: 3 minutes, the lower bound RFC 3261 §16.6 sets.</summary>
    public static readonly TimeSpan DefaultTimerC = TimeSpan.FromMinutes(3);

    /// <summary>The default <see cref="MaxTrackedCalls"/>.</summary>
    public const int DefaultMaxTrackedCalls = 100_000;

    /// <summary>The default <see cref="MaxCallAge"/>: 4 hours, longer than the call-duration cap most switches enforce.</summary>
    public static readonly TimeSpan DefaultMaxCallAge = TimeSpan.FromHours(4);

    /// <summary>The default <see cref="SweepInterval"/>.</summary>
    public static readonly TimeSpan DefaultSweepInterval = TimeSpan.FromSeconds(1);

    /// <summary>
    /// What the trace headers of a received request that starts a span mean, unless
    /// <see cref="TrustSelector"/> decides per message. Default <see cref="SipTrustMode.Parent"/>.
    /// </summary>
    public SipTrustMode TrustMode { get; set; } = SipTrustMode.Parent;

    /// <summary>
    /// Decides the trust mode per received request that starts a span (an edge node facing both
    /// trusted peers and handsets). When it throws, the headers are ignored
    /// (<see cref="SipTrustMode.Ignore"/>) and the failure is logged.
    /// </summary>
    public SipTrustSelector? TrustSelector { get; set; }

    /// <summary>Which trace headers are read from requests that start a span; default: the defaults of <see cref="SipPropagationOptions"/>.</summary>
    public SipPropagationOptions Propagation { get; set; } = new();

    /// <summary>
    /// How long an INVITE may go without any response, and a BYE without a final response, before
    /// its span ends as a timeout (RFC 3261 Timer B and Timer F, both 64·T1). Default 32 s.
    /// </summary>
    public TimeSpan TimerB { get; set; } = DefaultTimerB;

    /// <summary>
    /// How long an INVITE that got a provisional response may wait for its final response before its
    /// span ends as a timeout (a provisional stops Timer B; a ringing phone may ring for minutes).
    /// Default 3 minutes (RFC 3261 §16.6 Timer C). Must not be shorter than <see cref="TimerB"/>.
    /// </summary>
    public TimeSpan TimerC { get; set; } = DefaultTimerC;

    /// <summary>
    /// The most calls tracked at once. Past it, the oldest call (of its shard, see the README) is
    /// evicted: its open span ends, and <c>sip.call.evictions</c> counts it. Default 100,000.
    /// </summary>
    public int MaxTrackedCalls { get; set; } = DefaultMaxTrackedCalls;

    /// <summary>
    /// The longest a call is tracked, from its first message. An answered call whose BYE is never
    /// seen is evicted after this. Default 4 hours.
    /// </summary>
    public TimeSpan MaxCallAge { get; set; } = DefaultMaxCallAge;

    /// <summary>
    /// How often a background timer (on the tracer's <see cref="TimeProvider"/>) looks for timed-out
    /// transactions and calls past <see cref="MaxCallAge"/>. Spans that time out still end at their
    /// exact deadline. Default 1 s.
    /// </summary>
    public TimeSpan SweepInterval { get; set; } = DefaultSweepInterval;

    /// <summary>How <c>sip.from</c>, <c>sip.to</c> and <c>sip.initiated_by</c> are recorded. Default <see cref="SipAddressPrivacy.AsIs"/>.</summary>
    public SipAddressPrivacy AddressPrivacy { get; set; } = SipAddressPrivacy.AsIs;

    /// <summary>
    /// Tags added to every measurement this tracer records: what tells several tracers in one process
    /// apart (a node or role name, a capture agent id), since they share one meter name and so one set
    /// of metric streams. Keep them few (up to 4 keeps recording allocation-free) and low-cardinality;
    /// they are copied when the tracer is created. Default: none.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, object?>> MetricTags { get; set; } = [];

    /// <summary>
    /// The HMAC key for <see cref="SipAddressPrivacy.HashUser"/>. Set it (at least 16 bytes, kept
    /// secret) for hashes that stay the same across processes and restarts; when <see langword="null"/>
    /// a random key is drawn per tracer. A phone number hashed without a secret key can be recovered by
    /// trying every number, which is why there is no unkeyed mode.
    /// </summary>
    public byte[]? HashKey { get; set; }

    /// <summary>
    /// Whether setup spans get ids derived from the SIP messages so that a call is one tree across nodes
    /// that send no trace headers. Default <see cref="SipIdDerivation.Derive"/>.
    /// </summary>
    public SipIdDerivation IdDerivation { get; set; } = SipIdDerivation.Derive;

    /// <summary>
    /// The deployment key of derived ids (at least 16 bytes, secret, the same on every node and collector
    /// of the deployment; base64 in configuration): without it an outsider who writes a Call-ID can neither
    /// choose nor predict our ids, and deployments with different keys never share ids. When
    /// <see langword="null"/>, one random key per process: the tracers of one process (a HEP collector's
    /// capture agents) assemble whole calls, separate processes do not, and a forwarded trace header is
    /// taken as the parent as it is (hops chain under it only with a shared key).
    /// </summary>
    public byte[]? DerivationKey { get; set; }

    /// <summary>Whether 100 Trying adds a <c>sip.provisional</c> event (it is hop-by-hop, so off by default).</summary>
    public bool RecordTrying { get; set; }

    /// <summary>Whether spans record <c>user_agent.original</c> from the User-Agent of the request that starts them (opt-in).</summary>
    public bool RecordUserAgent { get; set; }

    /// <summary>
    /// Decides whether a new call gets spans; metrics are recorded for every call. When it throws,
    /// the call gets no spans and the failure is logged.
    /// </summary>
    public SipCallFilter? Filter { get; set; }

    /// <summary>
    /// Called with each span and the request that started it. When it throws, the failure is logged
    /// and the span is dropped (not exported).
    /// </summary>
    public SipActivityEnricher? EnrichWithRequest { get; set; }

    /// <summary>
    /// Called with each span and the final response that ends it (not for spans that end by timeout
    /// or eviction). When it throws, the failure is logged and the span is dropped (not exported).
    /// </summary>
    public SipActivityEnricher? EnrichWithResponse { get; set; }

    internal void Validate()
    {
        if (TimerB <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(TimerB), TimerB, "Timer B must be positive.");
        }

        if (TimerC < TimerB)
        {
            throw new ArgumentOutOfRangeException(nameof(TimerC), TimerC, "Timer C must not be shorter than Timer B.");
        }

        if (MaxTrackedCalls < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxTrackedCalls), MaxTrackedCalls, "At least one call must be trackable.");
        }

        if (MaxCallAge <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxCallAge), MaxCallAge, "The maximum call age must be positive.");
        }

        if (SweepInterval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(SweepInterval), SweepInterval, "The sweep interval must be positive.");
        }

        if (IdDerivation is not (SipIdDerivation.Off or SipIdDerivation.Derive or SipIdDerivation.DeriveAndLink))
        {
            throw new ArgumentOutOfRangeException(nameof(IdDerivation), IdDerivation, "Unknown id derivation.");
        }

        if (DerivationKey is { Length: < DerivedIds.MinimumKeyLength })
        {
            throw new ArgumentException($"The derivation key needs at least {DerivedIds.MinimumKeyLength} bytes.", nameof(DerivationKey));
        }

        ArgumentNullException.ThrowIfNull(Propagation);
        ArgumentNullException.ThrowIfNull(MetricTags);
        foreach (KeyValuePair<string, object?> tag in MetricTags)
        {
            if (string.IsNullOrEmpty(tag.Key))
            {
                // What IConfiguration binding makes of a MetricTags section: set them in code.
                throw new ArgumentException("A metric tag has no key; MetricTags are set in code, configuration cannot bind them.", nameof(MetricTags));
            }
        }
    }

    /// <summary>What <see cref="Validate"/> would throw for, as one line naming the setting; <see langword="null"/> when valid.</summary>
    internal string? FindError()
    {
        try
        {
            Validate();
            return null;
        }
        catch (ArgumentException e)
        {
            return Describe(e);
        }
    }

    /// <summary>One line for a validation exception: the setting, its value, and the rule.</summary>
    internal static string Describe(ArgumentException e)
    {
        string message = e.Message;
        int parameter = message.IndexOf(" (Parameter '", StringComparison.Ordinal);
        if (parameter >= 0)
        {
            message = message.Substring(0, parameter);
        }

        message = message.Split('\r', '\n')[0];
        return e switch
        {
            ArgumentNullException => $"{e.ParamName} must be set.",
            ArgumentOutOfRangeException { ActualValue: { } value } => $"{e.ParamName} = {value}: {message}",
            _ => $"{e.ParamName}: {message}",
        };
    }

    /// <summary>
    /// A shallow copy of these options, for creating several tracers that differ in an option or two
    /// (for example their <see cref="MetricTags"/>); the delegates, the hash key and the propagation
    /// options are shared, not copied.
    /// </summary>
    /// <returns>The copy.</returns>
    public SipCallTracerOptions Clone() => (SipCallTracerOptions)MemberwiseClone();
}
