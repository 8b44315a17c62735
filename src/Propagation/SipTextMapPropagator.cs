using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Context.Propagation;
using SipTraceContext.Propagation.Internal;
using SipTraceContext.Sip;

namespace SipTraceContext.Propagation;

/// <summary>
/// An OpenTelemetry <see cref="TextMapPropagator"/> that carries W3C trace context (and, when
/// enabled, baggage) in SIP headers, X-OTel or P-OTel style. It acts on SIP carriers
/// (<see cref="ISipHeaderCarrier"/>) only and leaves every other carrier untouched, so it can be
/// added to an existing <see cref="CompositeTextMapPropagator"/>.
/// </summary>
/// <remarks>
/// <para>
/// Extract reads the configured style first, then the other style, then the fallback spellings
/// (<see cref="SipPropagationOptions.FallbackPrefixes"/>), and takes the first whose traceparent
/// appears exactly once and is valid. Its tracestate instances are combined in order and validated
/// as a whole; an invalid tracestate is dropped and the traceparent still counts. When the incoming
/// context is already valid, Extract returns it unchanged. It never throws: bad input is reported
/// through the package's EventSource (<c>OpenTelemetry-Instrumentation-SipTraceContext-Propagation</c>).
/// </para>
/// <para>
/// Inject writes the configured style's canonical header names through the setter (which replaces
/// existing values) and removes the other recognised trace headers from the carrier, so the next
/// hop sees exactly one context. The tracestate is trimmed to
/// <see cref="SipPropagationOptions.MaxTraceStateLength"/> by dropping whole members.
/// </para>
/// </remarks>
public sealed class SipTextMapPropagator : TextMapPropagator
{
    private readonly TraceHeaderSet _headers;
    private readonly SipRawPropagator _raw;

    /// <summary>Creates a propagator with the default options (X-OTel style, fallbacks accepted, no baggage).</summary>
    public SipTextMapPropagator()
        : this(new SipPropagationOptions())
    {
    }

    /// <summary>Creates a propagator with the given options.</summary>
    /// <param name="options">The options; read once, here.</param>
    /// <exception cref="ArgumentException">A prefix is not a SIP token or a limit is negative.</exception>
    public SipTextMapPropagator(SipPropagationOptions options)
    {
        _headers = new TraceHeaderSet(options);
        _raw = new SipRawPropagator(_headers);
    }

    /// <inheritdoc/>
    public override ISet<string> Fields => _headers.Fields;

    /// <inheritdoc/>
    public override PropagationContext Extract<T>(PropagationContext context, T carrier, Func<T, string, IEnumerable<string>?> getter)
    {
        if (carrier is SipWireMessage wire && ReferenceEquals(getter, SipHeaderCarrier.Getter) && !_headers.PropagateBaggage)
        {
            // The hot case first, with nothing else to check: a wire message read through our own getter
            // goes straight to its bytes (the raw path never throws, so no handler is needed either).
            return context.ActivityContext.TraceId != default || !_raw.TryExtract(wire.Span, out ActivityContext fromWire)
                ? context
                : new PropagationContext(fromWire, context.Baggage);
        }

        if (carrier is not ISipHeaderCarrier || getter is null)
        {
            return context;
        }

        try
        {
            ActivityContext activityContext = context.ActivityContext;
            if (activityContext.TraceId == default)
            {
                // A wire message read through our own getter: read its bytes directly rather than
                // re-reading the message once per header name. Same rules, same result (a property
                // test holds both paths to it); a user's own getter is always honoured.
                // (Reached with baggage propagation on; without it the same case returned above.)
                activityContext = carrier is SipWireMessage wireWithBaggage && ReferenceEquals(getter, SipHeaderCarrier.Getter)
                    ? (_raw.TryExtract(wireWithBaggage.Span, out ActivityContext fromBytes) ? fromBytes : default)
                    : ExtractTraceContext(carrier, getter);
            }

            Baggage baggage = context.Baggage;
            if (_headers.PropagateBaggage && baggage.Count == 0)
            {
                baggage = ExtractBaggage(carrier, getter);
            }

            return new PropagationContext(activityContext, baggage);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A user-supplied getter threw: keep the host running with the context it gave us.
            SipPropagationEventSource.Log.CarrierAccessorFailed(ex.ToString());
            return context;
        }
    }

    private ActivityContext ExtractTraceContext<T>(T carrier, Func<T, string, IEnumerable<string>?> getter)
    {
        for (int prefix = 0; prefix < _headers.TraceParentNames.Length; prefix++)
        {
            string name = _headers.TraceParentNames[prefix];
            string? value = SingleValue(getter(carrier, name), out int instances);
            if (instances == 0)
            {
                continue;
            }

            if (value is not null && TraceParent.TryParse(value.AsSpan().Trim(" \t"), out TraceParent traceParent))
            {
                IEnumerable<string>? traceStates = getter(carrier, _headers.TraceStateNames[prefix]);
                string? traceState = traceStates is null ? null : TraceState.Combine(traceStates, _headers.MaxTraceStateLength);
                return traceParent.ToActivityContext(traceState, isRemote: true);
            }

            // W3C: a repeated traceparent is invalid, treat it as absent and try the next style.
            SipPropagationEventSource.Log.InvalidHeader(name, instances == 1 ? "malformed" : "repeated");
        }

        return default;
    }

    private Baggage ExtractBaggage<T>(T carrier, Func<T, string, IEnumerable<string>?> getter)
    {
        foreach (string name in _headers.BaggageNames)
        {
            IEnumerable<string>? values = getter(carrier, name);
            if (values is not null && (values is not IReadOnlyCollection<string> collection || collection.Count > 0))
            {
                Baggage baggage = BaggageCodec.Decode(values, _headers.MaxBaggageLength, _headers.MaxBaggageEntries);
                if (baggage.Count > 0)
                {
                    return baggage;
                }
            }
        }

        return default;
    }

    /// <inheritdoc/>
    public override void Inject<T>(PropagationContext context, T carrier, Action<T, string, string> setter)
    {
        if (carrier is not ISipHeaderCarrier sipCarrier || setter is null)
        {
            return;
        }

        TraceParent traceParent = TraceParent.FromActivityContext(context.ActivityContext);
        if (!traceParent.IsValid)
        {
            SipPropagationEventSource.Log.InjectFailed("invalid context");
            return;
        }

        try
        {
            // A proxy forwards one context: drop what other styles or fallbacks still say.
            for (int prefix = 1; prefix < _headers.TraceParentNames.Length; prefix++)
            {
                sipCarrier.Remove(_headers.TraceParentNames[prefix]);
                sipCarrier.Remove(_headers.TraceStateNames[prefix]);
            }

            setter(carrier, _headers.TraceParentName, traceParent.ToString());
            string? traceState = TraceState.Normalize(context.ActivityContext.TraceState, _headers.MaxTraceStateLength);
            if (traceState is null)
            {
                sipCarrier.Remove(_headers.TraceStateName);
            }
            else
            {
                setter(carrier, _headers.TraceStateName, traceState);
            }

            if (_headers.PropagateBaggage)
            {
                string? baggage = BaggageCodec.Encode(context.Baggage, _headers.MaxBaggageLength, _headers.MaxBaggageEntries);
                if (baggage is null)
                {
                    sipCarrier.Remove(_headers.BaggageName);
                }
                else
                {
                    setter(carrier, _headers.BaggageName, baggage);
                }
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            SipPropagationEventSource.Log.CarrierAccessorFailed(ex.ToString());
        }
    }

    /// <summary>
    /// Removes the trace headers in <paramref name="scope"/> (and their baggage headers) from a carrier:
    /// P-OTel on egress from an IMS trust domain, or everything from an untrusted handset.
    /// </summary>
    /// <param name="carrier">The message's headers.</param>
    /// <param name="scope">Which styles to remove.</param>
    /// <returns>How many header names had at least one instance removed.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="carrier"/> is null.</exception>
    public int Strip(ISipHeaderCarrier carrier, SipTraceHeaderScope scope)
    {
        ArgumentNullException.ThrowIfNull(carrier);
        int removed = 0;
        for (int prefix = 0; prefix < _headers.TraceParentNames.Length; prefix++)
        {
            if ((_headers.PrefixScopes[prefix] & scope) == 0)
            {
                continue;
            }

            removed += carrier.Remove(_headers.TraceParentNames[prefix]) ? 1 : 0;
            removed += carrier.Remove(_headers.TraceStateNames[prefix]) ? 1 : 0;
            removed += carrier.Remove(_headers.BaggageNames[prefix]) ? 1 : 0;
        }

        return removed;
    }

    private static string? SingleValue(IEnumerable<string>? values, out int count)
    {
        switch (values)
        {
            case null:
                count = 0;
                return null;
            case IReadOnlyList<string> list:
                count = list.Count;
                return count == 1 ? list[0] : null;
            default:
                string? first = null;
                count = 0;
                foreach (string value in values)
                {
                    first ??= value;
                    if (++count > 1)
                    {
                        return null;
                    }
                }

                return first;
        }
    }
}
