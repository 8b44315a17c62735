using System.Diagnostics;
#if NET
using System.Runtime.CompilerServices;
#else
using System.Reflection;
#endif

namespace SipTraceContext.Instrumentation.Internal;

/// <summary>
/// Gives a started <see cref="Activity"/> a span id of our choosing. <see cref="Activity"/> has no
/// public way to (it draws a random span id in <see cref="Activity.Start"/>, and there is no span id
/// counterpart of <see cref="Activity.TraceIdGenerator"/>), so this writes its private <c>_spanId</c>
/// field and clears its cached <c>_id</c>; <see cref="Activity.SpanId"/>, <see cref="Activity.Id"/> and
/// <see cref="Activity.Context"/> then all agree, and exporters read the new id at the end of the span.
/// </summary>
/// <remarks>
/// <para>
/// The two fields have had these names and types (<see cref="string"/>) in every
/// System.Diagnostics.DiagnosticSource from 8.0 to 11.0 (net8.0, net10.0, netstandard2.0 and net462
/// assemblies alike; docs/zero-touch-call-trees.md). A runtime without them is found once, by
/// <see cref="IsSupported"/>, and derivation is then not used: spans keep their random ids.
/// </para>
/// <para>
/// The net10.0 build reaches the fields with <c>UnsafeAccessor</c>, which trimming and native AOT
/// understand; the netstandard2.0 build uses reflection on <c>typeof(Activity)</c> with literal field
/// names, which the trimmer also keeps. Listeners and OpenTelemetry processors that read the span id
/// in their start callback see the random id Start drew; everything after sees the chosen one.
/// </para>
/// </remarks>
internal static class ActivitySpanIds
{
#if !NET
    // Before IsSupported: static initializers run in text order, and the probe needs these.
    private static readonly FieldInfo? SpanIdField = typeof(Activity).GetField("_spanId", BindingFlags.Instance | BindingFlags.NonPublic);
    private static readonly FieldInfo? IdField = typeof(Activity).GetField("_id", BindingFlags.Instance | BindingFlags.NonPublic);
#endif

    /// <summary>Whether this runtime's <see cref="Activity"/> has the fields, checked once without starting an activity.</summary>
    public static bool IsSupported { get; } = Probe();

    /// <summary>
    /// Replaces the span id of a started W3C <paramref name="activity"/>; <see langword="false"/>, and
    /// nothing changed, when the runtime does not support it or the activity is not started.
    /// </summary>
    public static bool TrySet(Activity activity, ActivitySpanId spanId)
    {
        if (!IsSupported || spanId == default || activity.IdFormat != ActivityIdFormat.W3C || activity.SpanId == default)
        {
            return false;
        }

        Write(activity, spanId.ToHexString());
        return activity.SpanId == spanId;
    }

    private static bool Probe()
    {
        try
        {
            // Never started: no listener sees it. The getters build SpanId and Id from the fields.
            var activity = new Activity("SipTraceContext.SpanIdProbe");
            ActivitySpanId probe = ActivitySpanId.CreateRandom();
            Write(activity, probe.ToHexString());
            string? id = activity.Id;
            return activity.SpanId == probe && id is not null && id.Contains(probe.ToHexString());
        }
#pragma warning disable CA1031 // A missing or changed field means "not supported", whatever the exception.
        catch (Exception)
#pragma warning restore CA1031
        {
            return false;
        }
    }

#if NET
    private static void Write(Activity activity, string spanId)
    {
        SpanIdField(activity) = spanId;
        IdField(activity) = null;
    }

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_spanId")]
    private static extern ref string? SpanIdField(Activity activity);

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_id")]
    private static extern ref string? IdField(Activity activity);
#else
    private static void Write(Activity activity, string spanId)
    {
        if (SpanIdField is null || IdField is null || SpanIdField.FieldType != typeof(string) || IdField.FieldType != typeof(string))
        {
            throw new MissingFieldException(nameof(Activity), "_spanId");
        }

        SpanIdField.SetValue(activity, spanId);
        IdField.SetValue(activity, null);
    }
#endif
}
