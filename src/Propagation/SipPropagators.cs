using OpenTelemetry.Context.Propagation;
using SipTraceContext.Sip;

namespace SipTraceContext.Propagation;

/// <summary>
/// Ready-made propagators for registering SIP propagation globally, next to the W3C ones:
/// <c>Sdk.SetDefaultTextMapPropagator(SipPropagators.CreateDefault());</c>
/// </summary>
public static class SipPropagators
{
    /// <summary>
    /// A propagator that behaves exactly like OpenTelemetry's default (W3C trace context + baggage)
    /// for HTTP, gRPC and every other carrier, and uses SIP headers for SIP carriers.
    /// </summary>
    /// <param name="options">The SIP options; <c>null</c> for the defaults.</param>
    /// <returns>The propagator to pass to <c>Sdk.SetDefaultTextMapPropagator</c>.</returns>
    public static TextMapPropagator CreateDefault(SipPropagationOptions? options = null) =>
        Wrap(new CompositeTextMapPropagator([new TraceContextPropagator(), new BaggagePropagator()]), options);

    /// <summary>
    /// Routes SIP carriers to a <see cref="SipTextMapPropagator"/> and every other carrier to
    /// <paramref name="nonSipPropagator"/>, for users who already have a propagator of their own.
    /// </summary>
    /// <param name="nonSipPropagator">What HTTP, gRPC and other carriers keep using.</param>
    /// <param name="options">The SIP options; <c>null</c> for the defaults.</param>
    /// <returns>The combined propagator.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="nonSipPropagator"/> is null.</exception>
    public static TextMapPropagator Wrap(TextMapPropagator nonSipPropagator, SipPropagationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(nonSipPropagator);
        return new SipRoutingPropagator(new SipTextMapPropagator(options ?? new SipPropagationOptions()), nonSipPropagator);
    }

    /// <summary>Sends SIP carriers to the SIP propagator and everything else to the other one.</summary>
    private sealed class SipRoutingPropagator : TextMapPropagator
    {
        private readonly SipTextMapPropagator _sip;
        private readonly TextMapPropagator _other;
        private readonly HashSet<string> _fields;

        public SipRoutingPropagator(SipTextMapPropagator sip, TextMapPropagator other)
        {
            _sip = sip;
            _other = other;
            _fields = new HashSet<string>(other.Fields ?? Enumerable.Empty<string>(), StringComparer.OrdinalIgnoreCase);
            _fields.UnionWith(sip.Fields);
        }

        public override ISet<string> Fields => _fields;

        public override PropagationContext Extract<T>(PropagationContext context, T carrier, Func<T, string, IEnumerable<string>?> getter) =>
            carrier is ISipHeaderCarrier ? _sip.Extract(context, carrier, getter) : _other.Extract(context, carrier, getter);

        public override void Inject<T>(PropagationContext context, T carrier, Action<T, string, string> setter)
        {
            if (carrier is ISipHeaderCarrier)
            {
                _sip.Inject(context, carrier, setter);
            }
            else
            {
                _other.Inject(context, carrier, setter);
            }
        }
    }
}
