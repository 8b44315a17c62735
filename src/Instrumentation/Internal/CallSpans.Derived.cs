using System.Diagnostics;
using SipTraceContext.Sip;

namespace SipTraceContext.Instrumentation.Internal;

// Setup spans with ids derived from the SIP messages (docs/zero-touch-call-trees.md).
internal sealed partial class CallSpans
{
    /// <summary>
    /// Starts a setup span with derived ids (docs/zero-touch-call-trees.md): under a trusted header's
    /// context in its trace (Derive), else in the trace derived from the call's correlator. Falls back
    /// to random ids when the message gives nothing to derive from (no branch).
    /// </summary>
    private Activity? StartDerived(string name, in RecordedMessage message, ActivityContext parent, ActivityContext header, ActivityLink[]? links, ref SipSpanHeaders headers, out ActivityContext context)
    {
        DerivedIds derived = _derivedIds!;
        ref readonly SipMessageFacts facts = ref message.Facts;
        int skip = message.Direction == SipDirection.Out ? 1 : 0;
        ActivityKind kind = KindFor(message.Direction);
        bool underHeader = parent != default && _derivation == SipIdDerivation.Derive;
        if (underHeader && !_chainUnderHeader)
        {
            // Without a shared key the header's span is the parent as it is.
            return SipTelemetry.Start(name, kind, parent, links, message.Timestamp, out context);
        }

        if (underHeader)
        {
            // The header's trace; the parent is the previous hop's derived span (the header's writer
            // when we are the first hop after it). When that is not the header's span, link the header.
            headers = ReadSpanHeaders(in message);
            ViaBranches vias = headers.Vias;
            int received = vias.Count - skip;
            if (received < 1 || !derived.TryHopSpanId(facts.CallId, vias[skip], out ActivitySpanId span))
            {
                return SipTelemetry.Start(name, kind, parent, links, message.Timestamp, out context);
            }

            ActivitySpanId previous = parent.SpanId;
            if (received > 1 && derived.TryHopSpanId(facts.CallId, vias[skip + 1], out ActivitySpanId hop))
            {
                previous = hop;
            }

            var chained = new ActivityContext(parent.TraceId, previous, parent.TraceFlags, parent.TraceState, isRemote: true);
            ActivityLink[]? withHeader = previous == parent.SpanId ? links : Append(links, header);
            Activity? activity = SipTelemetry.Start(name, kind, chained, withHeader, message.Timestamp, out context);
            if (activity is not null)
            {
                _ = ActivitySpanIds.TrySet(activity, span);
                context = activity.Context;
            }

            return activity;
        }

        // No trusted parent (or DeriveAndLink): the derived trace, parent and span.
        CorrelatorKind correlatorKind = CorrelatorKind.CallId;
        ReadOnlySpan<byte> correlator = facts.CallId;
        if (message.Reader.TryGetFirstValue(KnownSipHeader.XCid, out ReadOnlySpan<byte> xcid) && !xcid.IsEmpty)
        {
            // A B2BUA's original Call-ID: its B leg joins the A leg's trace.
            correlator = xcid;
        }

        // A sent INVITE without any Via entry names no hop. The entries themselves are read only for a
        // span that is kept: a dropped one derives no ids, and reading them walks every field.
        if (skip == 1 && facts.TopVia.IsEmpty && (headers = ReadSpanHeaders(in message)).Vias.Count == 0)
        {
            return SipTelemetry.Start(name, kind, parent, links, message.Timestamp, out context);
        }

        if (parent != default)
        {
            // DeriveAndLink: the header's context is a link, never the parent.
            links = Append(links, header);
        }

        // The trace id is derived only when the sampler or a kept span asks for it, the span ids only
        // for a kept span: a call no listener keeps pays no MAC.
        Activity? created;
        if (!DerivedSpans.TryBeginLazyTraceId(derived, correlatorKind, correlator, out DerivedSpans.LazyTraceIdScope scope))
        {
            return SipTelemetry.Start(name, kind, parent, links, message.Timestamp, out context);
        }

        using (scope)
        {
            created = SipTelemetry.Source.CreateActivity(name, kind, default(ActivityContext), tags: null, links);
            if (created is null)
            {
                context = default;
                return null;
            }

            if (!created.IsAllDataRequested)
            {
                // Created only to propagate (the SDK does so for a root its sampler drops): nobody
                // exports its ids, so none is derived that the sampler did not ask for.
                scope.Dispose();
                return SipTelemetry.StartIfRecorded(created, message.Timestamp, out context);
            }

            ActivityTraceId traceId = scope.TraceId;
            if (!headers.IsRead)
            {
                headers = ReadSpanHeaders(in message);
            }

            ViaBranches vias = headers.Vias;
            if (!derived.TrySpanIds(message.Direction, in vias, facts.CallId, out ActivitySpanId span, out ActivitySpanId derivedParent) || traceId == default)
            {
                span = default;
                derivedParent = default;
            }

            DerivedSpans.StartCreated(created, traceId, derivedParent, message.Timestamp);
            if (span != default)
            {
                _ = ActivitySpanIds.TrySet(created, span);
            }
        }

        // Derived trace ids are MAC output: uniformly random, as W3C's random flag says.
        created.ActivityTraceFlags |= DerivedIds.RandomTraceFlag;
        context = created.Context;
        return created;
    }

    private static ActivityLink[] Append(ActivityLink[]? links, ActivityContext context)
    {
        if (links is null)
        {
            return [new ActivityLink(context)];
        }

        foreach (ActivityLink link in links)
        {
            if (link.Context == context)
            {
                return links;
            }
        }

        return [.. links, new ActivityLink(context)];
    }
}
