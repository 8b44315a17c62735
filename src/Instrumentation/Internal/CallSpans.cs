using System.Diagnostics;
using SipTraceContext.Conventions;
using SipTraceContext.Propagation;
using SipTraceContext.Sip;

namespace SipTraceContext.Instrumentation.Internal;

/// <summary>
/// Span mechanics and tag writing for the call tracer: where a span starts from (trust, extraction,
/// the host's ambient span), the tags and events of <c>sip.call.setup</c> and <c>sip.call.teardown</c>,
/// the user callbacks, and how a span ends. It keeps no call state: the state machine decides when,
/// this writes what.
/// </summary>
/// <remarks>
/// Every method that starts or ends a span leaves <see cref="Activity.Current"/> as it found it: the
/// host's ambient span must not change under a call to the tracer.
/// </remarks>
internal sealed partial class CallSpans : IDisposable
{
    private readonly SipRawPropagator _rawPropagator;
    private readonly AddressFormatter _addresses;
    private readonly SipTrustMode _trustMode;
    private readonly SipTrustSelector? _trustSelector;
    private readonly bool _recordTrustMode;
    private readonly bool _recordTrying;
    private readonly bool _recordUserAgent;
    private readonly SipCallFilter? _filter;
    private readonly SipActivityEnricher? _enrichWithRequest;
    private readonly SipActivityEnricher? _enrichWithResponse;
    private readonly SipIdDerivation _derivation;
    private readonly DerivedIds? _derivedIds;

    // Hops chain under a forwarded trace header only with a deployment key: a node that rewrote the
    // header names its own span, which equals the derived one only when both share the key.
    private readonly bool _chainUnderHeader;

    public CallSpans(SipCallTracerOptions options)
    {
        _rawPropagator = new SipRawPropagator(options.Propagation);
        _addresses = new AddressFormatter(options.AddressPrivacy, options.HashKey);
        _trustMode = options.TrustMode;
        _trustSelector = options.TrustSelector;
        _recordTrustMode = options.TrustSelector is not null || options.TrustMode != SipTrustMode.Parent;
        _recordTrying = options.RecordTrying;
        _recordUserAgent = options.RecordUserAgent;
        _filter = options.Filter;
        _enrichWithRequest = options.EnrichWithRequest;
        _enrichWithResponse = options.EnrichWithResponse;
        _derivation = options.IdDerivation;
        if (_derivation != SipIdDerivation.Off && ActivitySpanIds.IsSupported)
        {
            _derivedIds = new DerivedIds(options.DerivationKey ?? ProcessKey.Value);
            _chainUnderHeader = options.DerivationKey is not null;
        }

    }

    // One random key per process when none is configured: every tracer of the process (a HEP
    // collector's capture agents) derives the same ids, other processes do not.
    private static readonly Lazy<byte[]> ProcessKey = new(static () =>
    {
        byte[] key = new byte[32];
        using var random = System.Security.Cryptography.RandomNumberGenerator.Create();
        random.GetBytes(key);
        return key;
    });

    public void Dispose()
    {
        _derivedIds?.Dispose();
    }

    /// <summary>Whether the call gets spans: the filter's answer, <see langword="true"/> without a filter.</summary>
    public bool RunFilter(in RecordedMessage message)
    {
        if (_filter is null)
        {
            return true;
        }

        try
        {
            return _filter(in message.Reader, message.Direction);
        }
#pragma warning disable CA1031 // User callbacks never throw into the host; a failing filter means no span.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            SipInstrumentationEventSource.Log.CallbackFailed(nameof(SipCallTracerOptions.Filter), exception);
            return false;
        }
    }

    /// <summary>The span headers of a setup span's INVITE (the User-Agent when <c>RecordUserAgent</c>).</summary>
    private SipSpanHeaders ReadSpanHeaders(scoped in RecordedMessage message) =>
        SipSpanHeaders.Read(in message.Reader, message.From, _recordUserAgent);

    /// <summary>
    /// Starts the setup span of an initial INVITE and, when it is recorded, writes its tags.
    /// <paramref name="context"/> is the span's context as started, before any enricher could drop it.
    /// </summary>
    public Activity? StartSetup(in RecordedMessage message, out ActivityContext context)
    {
        var headers = default(SipSpanHeaders);
        Activity? activity = StartSpan(SipSpanNames.CallSetup, default, fromDialog: false, in message, ref headers, out context, out string? trustMode);
        if (activity is null)
        {
            return null;
        }

        if (activity.IsAllDataRequested)
        {
            ref readonly SipMessageFacts facts = ref message.Facts;
            if (!headers.IsRead)
            {
                headers = ReadSpanHeaders(in message);
            }

            var tags = new StartTags(activity);
            tags.Add(SipAttributes.CallId, CallIdText(message.Facts.CallId));
            tags.Add(SipAttributes.Method, SipAttributes.MethodValues.Invite);
            tags.Add(SipAttributes.From, _addresses.Format(headers.From));
            tags.Add(SipAttributes.To, _addresses.Format(facts.To));
            tags.Add(SipAttributes.Via, Text(facts.TopVia));
            if (!headers.FromTag.IsEmpty)
            {
                tags.Add(SipAttributes.FromTag, Text(headers.FromTag));
            }

            SetCommonRequestTags(tags, in message, in headers, trustMode);
            if (!headers.UserAgent.IsEmpty)
            {
                tags.Add(OtelAttributes.UserAgentOriginal, Text(headers.UserAgent));
            }

            SetSpanTags(activity, message.SpanTags);
            Enrich(_enrichWithRequest, nameof(SipCallTracerOptions.EnrichWithRequest), activity, in message.Reader);
        }

        return activity;
    }

    /// <summary>
    /// Starts the teardown span of a BYE under <paramref name="setup"/> (when <paramref name="knownDialog"/>)
    /// and, when it is recorded, writes its tags. <paramref name="context"/> is as for <see cref="StartSetup"/>.
    /// </summary>
    public Activity? StartTeardown(ActivityContext setup, bool knownDialog, in RecordedMessage message, out ActivityContext context)
    {
        // Only an INVITE's span derives ids while it starts; a kept BYE span reads its headers below.
        var notRead = default(SipSpanHeaders);
        Activity? activity = StartSpan(SipSpanNames.CallTeardown, setup, knownDialog, in message, ref notRead, out context, out string? trustMode);
        if (activity is not { IsAllDataRequested: true })
        {
            return activity;
        }

        SipSpanHeaders headers = SipSpanHeaders.Read(in message.Reader, message.From, userAgent: false);
        if (_derivedIds is not null
            && _derivedIds.TryTeardownSpanId(message.Direction, headers.Vias, message.Facts.CallId, out ActivitySpanId derived))
        {
            // Derived like the setup span's, so that every collector that sees this BYE names the span alike.
            _ = ActivitySpanIds.TrySet(activity, derived);
        }

        context = activity.Context;
        var tags = new StartTags(activity);
        tags.Add(SipAttributes.CallId, CallIdText(message.Facts.CallId));
        tags.Add(SipAttributes.Method, SipAttributes.MethodValues.Bye);
        tags.Add(SipAttributes.InitiatedBy, _addresses.Format(headers.From));
        SetCommonRequestTags(tags, in message, in headers, trustMode);
        SetSpanTags(activity, message.SpanTags);
        Enrich(_enrichWithRequest, nameof(SipCallTracerOptions.EnrichWithRequest), activity, in message.Reader);
        return activity;
    }

    /// <summary>The <c>sip.cancelled</c> event of an INVITE's span, at the first CANCEL.</summary>
    public void Cancelled(SipTransaction invite, in RecordedMessage message)
    {
        if (invite.Activity is { IsAllDataRequested: true } activity)
        {
            activity.AddEvent(new ActivityEvent(SipEventNames.Cancelled, message.Timestamp, new ActivityTagsCollection
            {
                { SipAttributes.ElapsedMs, Elapsed(invite.Start, message.Timestamp) },
                { SipAttributes.InitiatedBy, _addresses.Format(message.From) },
            }));
        }
    }

    /// <summary>The ringing or provisional event of a new provisional response; a 100 only with <c>RecordTrying</c>.</summary>
    public void Provisional(SipTransaction invite, in RecordedMessage message)
    {
        ref readonly SipMessageFacts facts = ref message.Facts;
        int status = facts.StatusCode;
        if (invite.Activity is not { IsAllDataRequested: true } activity || (status == 100 && !_recordTrying))
        {
            return;
        }

        var tags = new ActivityTagsCollection
        {
            { SipAttributes.StatusCode, SipCallMetrics.BoxedStatus(status) },
            { SipAttributes.ElapsedMs, Elapsed(invite.Start, message.Timestamp) },
        };
        string name = SipEventNames.Ringing;
        if (status != 180)
        {
            name = SipEventNames.Provisional;
            tags.Add(SipAttributes.ReasonPhrase, Text(facts.ReasonPhrase));
        }

        if (!facts.ToTag.IsEmpty)
        {
            tags.Add(SipAttributes.ToTag, Text(facts.ToTag));
        }

        activity.AddEvent(new ActivityEvent(name, message.Timestamp, tags));
    }

    /// <summary>Ends a setup span with the 2xx that answered the INVITE.</summary>
    public void EndAnswered(Activity activity, double setupMilliseconds, in RecordedMessage message)
    {
        if (activity.IsAllDataRequested)
        {
            ref readonly SipMessageFacts facts = ref message.Facts;
            object status = SipCallMetrics.BoxedStatus(facts.StatusCode);
            object setupTime = setupMilliseconds;
            activity.SetTag(SipAttributes.StatusCode, status);
            activity.SetTag(SipAttributes.SetupTimeMs, setupTime);
            var answered = new ActivityTagsCollection
            {
                { SipAttributes.StatusCode, status },
                { SipAttributes.SetupTimeMs, setupTime },
            };
            if (!facts.ToTag.IsEmpty)
            {
                string toTag = Text(facts.ToTag);
                activity.SetTag(SipAttributes.ToTag, toTag);
                answered.Add(SipAttributes.ToTag, toTag);
            }

            activity.AddEvent(new ActivityEvent(SipEventNames.Answered, message.Timestamp, answered));
            Enrich(_enrichWithResponse, nameof(SipCallTracerOptions.EnrichWithResponse), activity, in message.Reader);
        }

        EndSpan(activity, message.Timestamp);
    }

    /// <summary>Ends a teardown span with the 2xx that answered the BYE.</summary>
    public void EndTornDown(Activity activity, in RecordedMessage message)
    {
        if (activity.IsAllDataRequested)
        {
            activity.SetTag(SipAttributes.StatusCode, SipCallMetrics.BoxedStatus(message.Facts.StatusCode));
            Enrich(_enrichWithResponse, nameof(SipCallTracerOptions.EnrichWithResponse), activity, in message.Reader);
        }

        EndSpan(activity, message.Timestamp);
    }

    /// <summary>
    /// Ends a span with the final non-2xx response that failed its request: <c>error.type</c> always, the Error
    /// status only where <see cref="SipSpanStatus"/> says so for the span's kind.
    /// </summary>
    public void EndFailed(Activity activity, string errorType, bool cancelled, in RecordedMessage message)
    {
        if (activity.IsAllDataRequested)
        {
            ref readonly SipMessageFacts facts = ref message.Facts;
            string reason = Text(facts.ReasonPhrase);
            activity.SetTag(SipAttributes.StatusCode, SipCallMetrics.BoxedStatus(facts.StatusCode));
            activity.SetTag(SipAttributes.ReasonPhrase, reason);
            activity.SetTag(OtelAttributes.ErrorType, errorType);
            if (!facts.ToTag.IsEmpty)
            {
                activity.SetTag(SipAttributes.ToTag, Text(facts.ToTag));
            }

            if (SipSpanStatus.IsError(activity.Kind, facts.StatusCode, cancelled))
            {
                activity.SetStatus(ActivityStatusCode.Error, reason);
            }

            Enrich(_enrichWithResponse, nameof(SipCallTracerOptions.EnrichWithResponse), activity, in message.Reader);
        }

        EndSpan(activity, message.Timestamp);
    }

    /// <summary>The <c>sip.retransmission</c> event of a request (<paramref name="status"/> 0) or a response.</summary>
    public static void Retransmitted(SipTransaction transaction, string method, int status, SipDirection direction, DateTimeOffset timestamp)
    {
        if (transaction.Activity is not { IsAllDataRequested: true } activity)
        {
            // The span already ended and was exported: the counter is all there is to record.
            return;
        }

        var tags = new ActivityTagsCollection();
        if (status == 0)
        {
            tags.Add(SipAttributes.Method, method);
        }
        else
        {
            tags.Add(SipAttributes.StatusCode, SipCallMetrics.BoxedStatus(status));
        }

        tags.Add(SipAttributes.RetransmissionCount, transaction.RetransmissionCount);
        tags.Add(SipAttributes.ElapsedMs, Elapsed(transaction.Start, timestamp));
        tags.Add(SipAttributes.Direction, DirectionValue(direction));
        activity.AddEvent(new ActivityEvent(SipEventNames.Retransmission, timestamp, tags));
        activity.SetTag(SipAttributes.RetransmissionCount, transaction.RetransmissionCount);
    }

    /// <summary>Ends a span whose transaction timer fired, at the time it fired.</summary>
    public static void EndTimedOut(Activity activity, SipTransaction transaction, TimeSpan waited, DateTimeOffset end)
    {
        bool isInvite = transaction.Method == SipMethodKind.Invite;
        if (activity.IsAllDataRequested)
        {
            activity.AddEvent(new ActivityEvent(SipEventNames.Timeout, end, new ActivityTagsCollection
            {
                { SipAttributes.Method, isInvite ? SipAttributes.MethodValues.Invite : SipAttributes.MethodValues.Bye },
                { SipAttributes.ElapsedMs, waited.TotalMilliseconds },
            }));
            activity.SetTag(OtelAttributes.ErrorType, OtelAttributes.ErrorTypeValues.Timeout);
            activity.SetStatus(ActivityStatusCode.Error, isInvite && transaction.ProvisionalSeen ? "Timer C fired" : isInvite ? "Timer B fired" : "Timer F fired");
        }

        EndSpan(activity, end);
    }

    /// <summary>Ends a span still open when its call goes (eviction, or the tracer's disposal when <paramref name="evictionReason"/> is <see langword="null"/>).</summary>
    public static void EndOpen(SipTransaction? transaction, DateTimeOffset now, string? evictionReason)
    {
        if (transaction?.Activity is not { } activity)
        {
            return;
        }

        transaction.Activity = null;
        if (evictionReason is not null && activity.IsAllDataRequested)
        {
            activity.SetTag(SipAttributes.EvictionReason, evictionReason);
        }

        EndSpan(activity, now);
    }

    /// <summary>The milliseconds from <paramref name="start"/> to <paramref name="now"/>; never negative.</summary>
    public static double Elapsed(DateTimeOffset start, DateTimeOffset now)
    {
        double elapsed = (now - start).TotalMilliseconds;
        return elapsed > 0 ? elapsed : 0;
    }

    private static ActivityKind KindFor(SipDirection direction) => direction == SipDirection.In ? ActivityKind.Server : ActivityKind.Client;

    private static void EndSpan(Activity activity, DateTimeOffset end)
    {
        // Stop() makes the span's parent Activity.Current on this thread; the host's ambient span must
        // stay what it was.
        Activity? current = Activity.Current;
        DateTime endUtc = end.UtcDateTime;
        activity.SetEndTime(endUtc < activity.StartTimeUtc ? activity.StartTimeUtc : endUtc);
        activity.Stop();
        if (!ReferenceEquals(Activity.Current, current))
        {
            Activity.Current = current;
        }
    }

    private static void Drop(Activity activity)
    {
        // Not recorded means not exported: the SDK skips spans without the Recorded flag.
        activity.ActivityTraceFlags &= ~ActivityTraceFlags.Recorded;
        activity.IsAllDataRequested = false;
    }

    // A setup span's derivation may read the span headers before the span is tagged: 'headers' keeps them.
    private Activity? StartSpan(string name, ActivityContext dialogParent, bool fromDialog, in RecordedMessage message, ref SipSpanHeaders headers, out ActivityContext context, out string? trustMode)
    {
        trustMode = null;
        if (!SipTelemetry.Source.HasListeners())
        {
            context = default;
            return null;
        }

        ActivityContext parent = dialogParent;
        ActivityContext header = default;
        ActivityLink[]? links = null;
        bool detachFromAmbient = true;
        if (!fromDialog)
        {
            if (message.Direction == SipDirection.In)
            {
                // A received request starts from what its headers say (per the trust mode), never
                // from whatever span happens to be ambient on the receiving thread.
                SipTrustMode mode = SelectTrust(in message.Reader);
                if (_recordTrustMode)
                {
                    trustMode = mode switch
                    {
                        SipTrustMode.Parent => SipAttributes.TrustModeValues.Parent,
                        SipTrustMode.Link => SipAttributes.TrustModeValues.Link,
                        _ => SipAttributes.TrustModeValues.Ignore,
                    };
                }

                if (mode != SipTrustMode.Ignore && TryExtract(in message, out ActivityContext remote))
                {
                    SipTrustBoundary boundary = SipTrustBoundary.Resolve(remote, mode);
                    parent = boundary.Parent;
                    links = boundary.CreateLinks();
                    header = remote;
                }
            }
            else if (TryExtract(in message, out ActivityContext written))
            {
                // The node wrote these headers itself (or its host did): they name our own parent.
                parent = written;
            }
            else
            {
                // A request this node originates belongs under the host's ambient span, if any.
                detachFromAmbient = false;
            }
        }

        Activity? ambient = Activity.Current;
        if (!detachFromAmbient && ambient is not null)
        {
            // A request the host originates under its own span: that span is the parent, ids random.
            fromDialog = true;
        }

        if (detachFromAmbient && ambient is not null)
        {
            Activity.Current = null;
        }

        Activity? activity = _derivedIds is not null && !fromDialog && message.Facts.Method == SipMethodKind.Invite
            ? StartDerived(name, in message, parent, header, links, ref headers, out context)
            : SipTelemetry.Start(name, KindFor(message.Direction), parent, links, message.Timestamp, out context);

        // Start makes the new span current; the host's context must not change under it.
        if (!ReferenceEquals(Activity.Current, ambient))
        {
            Activity.Current = ambient;
        }

        return activity;
    }

    // Carriers included: the tracer rendered a carrier's trace headers into the message it reads.
    private bool TryExtract(in RecordedMessage message, out ActivityContext context) =>
        _rawPropagator.TryExtract(in message.Reader, out context);

    /// <summary>The trace headers to render from a carrier: every one extraction reads.</summary>
    public IReadOnlyList<string> ExtractedHeaderNames => _rawPropagator.ExtractedHeaderNames;

    private SipTrustMode SelectTrust(in SipMessageReader reader)
    {
        if (_trustSelector is null)
        {
            return _trustMode;
        }

        try
        {
            return _trustSelector(in reader);
        }
#pragma warning disable CA1031 // User callbacks never throw into the host; an undecidable trust means trust nothing.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            SipInstrumentationEventSource.Log.CallbackFailed(nameof(SipCallTracerOptions.TrustSelector), exception);
            return SipTrustMode.Ignore;
        }
    }

    private static void Enrich(SipActivityEnricher? enricher, string name, Activity activity, in SipMessageReader message)
    {
        if (enricher is null)
        {
            return;
        }

        try
        {
            enricher(activity, in message);
        }
#pragma warning disable CA1031 // User callbacks never throw into the host; a span a failing enricher touched is dropped.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            SipInstrumentationEventSource.Log.CallbackFailed(name, exception);
            Drop(activity);
        }
    }
}
