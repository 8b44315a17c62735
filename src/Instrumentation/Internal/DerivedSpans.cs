using System.Diagnostics;

namespace SipTraceContext.Instrumentation.Internal;

/// <summary>
/// Starts a span with derived ids (<see cref="DerivedCallIds"/>) so that the OpenTelemetry sampler
/// decides on the derived trace id as for a root span, the derived parent is the exported parent, and
/// the derived span id is the exported span id (docs/zero-touch-call-trees.md, "Sampling" and
/// "Choosing an Activity's span id").
/// </summary>
/// <remarks>
/// <para>
/// The sampler sees the trace id a root span would get from <see cref="Activity.TraceIdGenerator"/>.
/// That hook is process-wide: it is installed once, answers the derived id only on the thread that is
/// creating a derived span (a thread-static slot set around the creation), and otherwise defers to the
/// generator that was installed before it, or draws a random id as .NET does without one. Should some
/// other component replace the generator later, the sampler sees a random id; the span still gets the
/// derived ids (from <see cref="Activity.SetParentId(ActivityTraceId, ActivitySpanId, ActivityTraceFlags)"/>),
/// only the sampling decision is then per node.
/// </para>
/// <para>
/// The caller detaches <see cref="Activity.Current"/> first, as <c>CallSpans</c> does for every received
/// request: a span with an ambient parent would not be a root for the sampler.
/// </para>
/// </remarks>
internal static class DerivedSpans
{
    [ThreadStatic]
    private static ActivityTraceId t_pending;

    [ThreadStatic]
    private static LazyTraceId? t_lazy;

    private static readonly object s_gate = new();
    private static bool s_installed;
    private static Func<ActivityTraceId>? s_previous;

    /// <summary>
    /// Creates, and when the sampler keeps it starts, a span of <paramref name="source"/> with
    /// <paramref name="ids"/>; <see langword="null"/> when no listener wants it. The span id is the
    /// derived one when <see cref="ActivitySpanIds.IsSupported"/>, else random.
    /// </summary>
    public static Activity? Start(ActivitySource source, string name, ActivityKind kind, in DerivedCallIds ids, DateTimeOffset startTime, IEnumerable<ActivityLink>? links = null)
    {
        Activity? activity;
        using (BeginTraceId(ids.TraceId))
        {
            activity = source.CreateActivity(name, kind, default(ActivityContext), tags: null, links);
            if (activity is null)
            {
                return null;
            }

            StartCreated(activity, ids.TraceId, ids.ParentSpanId, startTime);
        }

        _ = ActivitySpanIds.TrySet(activity, ids.SpanId);
        return activity;
    }

    /// <summary>
    /// Until the scope is disposed, a root span created on this thread gets <paramref name="traceId"/>
    /// (and the sampler sees it). Create the span, and <see cref="StartCreated"/> it, inside the scope.
    /// </summary>
    public static TraceIdScope BeginTraceId(ActivityTraceId traceId)
    {
        EnsureInstalled();
        ActivityTraceId previous = t_pending;
        t_pending = traceId;
        return new TraceIdScope(previous);
    }

    /// <summary>
    /// Starts a span created as a root inside a <see cref="BeginTraceId"/> scope, under
    /// <paramref name="parentSpanId"/> in <paramref name="traceId"/> (none when default), at <paramref name="startTime"/>.
    /// </summary>
    public static void StartCreated(Activity activity, ActivityTraceId traceId, ActivitySpanId parentSpanId, DateTimeOffset startTime)
    {
        if (parentSpanId != default)
        {
            // Public and allowed until Start; the flags are the sampler's decision.
            activity.SetParentId(traceId, parentSpanId, activity.ActivityTraceFlags);
        }

        if (startTime != default)
        {
            activity.SetStartTime(startTime.UtcDateTime);
        }

        // A root (the originator's span) takes its trace id from the generator in Start.
        activity.Start();
    }

    /// <summary>
    /// Like <see cref="BeginTraceId"/>, but the trace id is derived from <paramref name="correlator"/>
    /// only when something asks for it: the sampler (a ratio sampler does, <c>AlwaysOff</c> and
    /// <c>AlwaysOn</c> do not), or <see cref="LazyTraceIdScope.TraceId"/> once a span was created. A
    /// call no listener keeps pays no MAC. Not nestable on one thread: <see langword="null"/> when a
    /// scope is already open (<see langword="false"/>; derive eagerly then).
    /// </summary>
    public static bool TryBeginLazyTraceId(DerivedIds derivation, CorrelatorKind kind, ReadOnlySpan<byte> correlator, out LazyTraceIdScope scope)
    {
        EnsureInstalled();
        scope = default;
        LazyTraceId lazy = t_lazy ??= new LazyTraceId();
        if (lazy.Derivation is not null || t_pending != default)
        {
            return false;
        }

        if (lazy.Correlator.Length < correlator.Length)
        {
            lazy.Correlator = new byte[correlator.Length];
        }

        correlator.CopyTo(lazy.Correlator);
        lazy.Length = correlator.Length;
        lazy.Kind = kind;
        lazy.TraceId = default;
        lazy.Derivation = derivation;
        scope = new LazyTraceIdScope(lazy);
        return true;
    }

    /// <summary>A lazily derived trace id, pending for root spans created on this thread until disposed.</summary>
    public readonly ref struct LazyTraceIdScope
    {
        private readonly LazyTraceId _lazy;

        internal LazyTraceIdScope(LazyTraceId lazy) => _lazy = lazy;

        /// <summary>The derived trace id (derived now if the sampler did not ask); default when the correlator gives none.</summary>
        public ActivityTraceId TraceId => _lazy?.Get() ?? default;

        /// <summary>Ends the scope.</summary>
        public void Dispose()
        {
            if (_lazy is not null)
            {
                _lazy.Derivation = null;
            }
        }
    }

    /// <summary>The per-thread state of a <see cref="LazyTraceIdScope"/>.</summary>
    internal sealed class LazyTraceId
    {
        public DerivedIds? Derivation;
        public CorrelatorKind Kind;
        public byte[] Correlator = new byte[128];
        public int Length;
        public ActivityTraceId TraceId;

        public ActivityTraceId Get()
        {
            if (TraceId == default && Derivation is not null)
            {
                _ = Derivation.TryTraceId(Kind, Correlator.AsSpan(0, Length), out TraceId);
            }

            return TraceId;
        }
    }

    /// <summary>Restores the pending trace id a <see cref="BeginTraceId"/> replaced.</summary>
    public readonly ref struct TraceIdScope
    {
        private readonly ActivityTraceId _previous;

        internal TraceIdScope(ActivityTraceId previous) => _previous = previous;

        /// <summary>Ends the scope.</summary>
        public void Dispose() => t_pending = _previous;
    }

    private static void EnsureInstalled()
    {
        if (Volatile.Read(ref s_installed))
        {
            return;
        }

        lock (s_gate)
        {
            if (!s_installed)
            {
                s_previous = Activity.TraceIdGenerator;
                Activity.TraceIdGenerator = Generate;
                Volatile.Write(ref s_installed, true);
            }
        }
    }

    private static ActivityTraceId Generate()
    {
        ActivityTraceId pending = t_pending;
        if (pending != default)
        {
            return pending;
        }

        if (t_lazy is { Derivation: not null } lazy && lazy.Get() is { } derived && derived != default)
        {
            return derived;
        }

        Func<ActivityTraceId>? previous = s_previous;
        return previous is null ? ActivityTraceId.CreateRandom() : previous();
    }
}
