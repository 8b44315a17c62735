using System.Diagnostics;
using System.Text;
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
/// <para>
/// A <see cref="SipWireMessage"/> (written through <see cref="SipHeaderCarrier.Setter"/>) always stays a message
/// its own reader limits accept: an edit past them is refused, not kept, because the next hop reading with the
/// same limits would drop the whole request rather than only its trace. Injection replaces the message's trace
/// headers in place, so a message at <see cref="SipReaderLimits.MaxHeaderCount"/> that already carries any does
/// not grow; when only the traceparent fits, it is written without the tracestate and baggage; and when even it
/// does not fit (a message at the limit without trace headers), the message is left unchanged and the refusal is
/// reported as an inject failure on the EventSource, naming the limit.
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
            // goes straight to its bytes, which its reader has validated already (the raw path never
            // throws, so no handler is needed either).
            if (context.ActivityContext.TraceId != default)
            {
                return context;
            }

            SipMessageReader read = wire.CreateReader();
            return _raw.TryExtract(in read, out ActivityContext fromWire) ? new PropagationContext(fromWire, context.Baggage) : context;
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
                    ? ExtractFromWire(wireWithBaggage)
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

    /// <summary>The context of a wire message's bytes, through the reader that validated them.</summary>
    private ActivityContext ExtractFromWire(SipWireMessage wire)
    {
        SipMessageReader read = wire.CreateReader();
        return _raw.TryExtract(in read, out ActivityContext context) ? context : default;
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

            if (carrier is SipWireMessage wire && ReferenceEquals(setter, SipHeaderCarrier.Setter))
            {
                InjectIntoWire(wire, traceParent, context);
                return;
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
    /// Writes the context into a wire message with one edit of its own rather than through the setter: an edit
    /// the message refuses is then reported as such (not as a throwing accessor), and when the message has room
    /// for the traceparent but not for the tracestate or baggage too, the traceparent is written alone.
    /// </summary>
    private void InjectIntoWire(SipWireMessage wire, TraceParent traceParent, in PropagationContext context)
    {
        Span<byte> traceParentValue = stackalloc byte[TraceParent.Length];
        traceParent.TryFormat(traceParentValue, out _);
        ReadOnlySpan<byte> traceParentName = _headers.TraceParentLineStart.AsSpan(0, _headers.TraceParentLineStart.Length - 2);
        ReadOnlySpan<byte> traceStateName = _headers.TraceStateLineStart.AsSpan(0, _headers.TraceStateLineStart.Length - 2);
        string? traceState = TraceState.Normalize(context.ActivityContext.TraceState, _headers.MaxTraceStateLength);
        string? baggage = _headers.PropagateBaggage ? BaggageCodec.Encode(context.Baggage, _headers.MaxBaggageLength, _headers.MaxBaggageEntries) : null;
        byte[]? baggageName = _headers.PropagateBaggage ? Encoding.ASCII.GetBytes(_headers.BaggageName) : null;

        scoped SipHeaderEditList edits = default;
        edits.Set(traceParentName, traceParentValue);
        if (traceState is null)
        {
            edits.Remove(traceStateName);
        }
        else
        {
            edits.Set(traceStateName, Encoding.ASCII.GetBytes(traceState));
        }

        if (baggageName is not null)
        {
            if (baggage is null)
            {
                edits.Remove(baggageName);
            }
            else
            {
                edits.Set(baggageName, Encoding.UTF8.GetBytes(baggage));
            }
        }

        if (wire.TryApply(edits, out SipEditError error))
        {
            return;
        }

        if (error == SipEditError.LimitExceeded && (traceState is not null || baggage is not null))
        {
            // The traceparent is what joins the next hop to this trace; the rest is worth less than it.
            scoped SipHeaderEditList parentOnly = default;
            parentOnly.Set(traceParentName, traceParentValue);
            parentOnly.Remove(traceStateName);
            if (baggageName is not null)
            {
                parentOnly.Remove(baggageName);
            }

            if (wire.TryApply(parentOnly, out error))
            {
                SipPropagationEventSource.Log.InjectFailed("the message is at its reader limits: the traceparent was written without the tracestate and baggage");
                return;
            }
        }

        SipPropagationEventSource.Log.InjectFailed(error == SipEditError.LimitExceeded
            ? $"the message is at its reader limits (more than {nameof(SipReaderLimits.MaxHeaderCount)} headers with a new one): {_headers.TraceParentName} was not written and the message is unchanged"
            : $"the message refused {_headers.TraceParentName}: {error}");
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
