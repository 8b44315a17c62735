using System.Collections.ObjectModel;
using System.Diagnostics.Tracing;
using System.Globalization;
using System.Reflection;

namespace SipTraceContext.Tests.Shared;

/// <summary>
/// Checks that every <c>[Event]</c> method of an <see cref="EventSource"/> writes what its attribute and
/// parameters declare. A mismatch (a <c>WriteEvent</c> with another id, arguments in another order, a
/// parameter the manifest does not know) is not a compile error: the event is silently lost or
/// garbled, and only a listener notices.
/// </summary>
internal static class EventSourceConsistency
{
    /// <summary>
    /// Calls each <c>[Event]</c> method with distinct arguments under a listener and asserts that exactly
    /// one event came out with the attribute's id and level, the parameters' names, and the arguments in
    /// their order; that ids are unique; and that each message's placeholders name parameters.
    /// </summary>
    public static void AssertEventsMatchTheirAttributes(EventSource source)
    {
        Assert.Null(source.ConstructionException);
        MethodInfo[] methods = source.GetType()
            .GetMethods(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly)
            .Where(m => m.GetCustomAttribute<EventAttribute>() is not null)
            .ToArray();
        Assert.NotEmpty(methods);

        int[] ids = [.. methods.Select(m => m.GetCustomAttribute<EventAttribute>()!.EventId)];
        Assert.True(ids.Length == ids.Distinct().Count(), $"{source.Name}: event ids are not unique: {string.Join(", ", ids)}");

        foreach (MethodInfo method in methods)
        {
            AssertEventMatches(source, method);
        }
    }

    private static void AssertEventMatches(EventSource source, MethodInfo method)
    {
        EventAttribute attribute = method.GetCustomAttribute<EventAttribute>()!;
        ParameterInfo[] parameters = method.GetParameters();
        object?[] arguments = [.. parameters.Select((p, i) => DistinctValue(p.ParameterType, i))];
        string where = $"{source.Name}.{method.Name} (event {attribute.EventId})";

        if (attribute.Message is { } message)
        {
            // string.Format throws when a placeholder has no argument: EventSource would write the raw template.
            string formatted = string.Format(CultureInfo.InvariantCulture, message, arguments);
            Assert.False(string.IsNullOrEmpty(formatted), where);
        }

        List<EventWrittenEventArgs> written;
        using (var listener = new SingleSourceListener(source))
        {
            method.Invoke(source, arguments);
            written = listener.Events;
        }

        // EventSource reports its own errors (a WriteEvent it cannot match to the manifest) as event 0.
        EventWrittenEventArgs? error = written.FirstOrDefault(e => e.EventId == 0);
        Assert.True(error is null, $"{where}: EventSource reported an error: {error?.Payload?.FirstOrDefault()}");

        // Only the events carrying these arguments are this call's: other tests may write to the source meanwhile.
        EventWrittenEventArgs[] ours = [.. written.Where(e => PayloadEquals(e.Payload, arguments))];
        Assert.True(
            ours.Length == 1,
            $"{where}: expected one event with payload [{string.Join(", ", arguments)}], got {ours.Length}; written: " +
            string.Join("; ", written.Select(e => $"{e.EventId} [{string.Join(", ", e.Payload ?? [])}]")));

        EventWrittenEventArgs written1 = ours[0];
        Assert.True(attribute.EventId == written1.EventId, $"{where}: written with id {written1.EventId}");
        Assert.True(attribute.Level == written1.Level, $"{where}: written at level {written1.Level}, declared {attribute.Level}");
        Assert.Equal(parameters.Select(p => p.Name), written1.PayloadNames ?? []);
    }

    private static bool PayloadEquals(ReadOnlyCollection<object?>? payload, object?[] arguments) =>
        (payload ?? []).Count == arguments.Length && payload!.Zip(arguments).All(p => Equals(p.First, p.Second));

    /// <summary>A value per parameter that differs from every other parameter's, so swapped arguments show.</summary>
    private static object? DistinctValue(Type type, int index)
    {
        int seed = Random.Shared.Next(1_000, 1_000_000) + index;
        return Type.GetTypeCode(type) switch
        {
            TypeCode.String => $"arg{index}-{seed}",
            TypeCode.Int32 => seed,
            TypeCode.Int64 => (long)seed * 1_000_003,
            TypeCode.UInt32 => (uint)seed,
            TypeCode.UInt64 => (ulong)seed,
            TypeCode.Int16 => (short)(seed % short.MaxValue),
            TypeCode.Byte => (byte)(index + 1),
            TypeCode.Boolean => index % 2 == 0,
            TypeCode.Double => seed + 0.5,
            _ when type == typeof(Guid) => Guid.NewGuid(),
            _ => throw new NotSupportedException($"no test value for an event parameter of type {type}"),
        };
    }

    /// <summary>Enables one event source at every level and keeps what it writes.</summary>
    private sealed class SingleSourceListener : EventListener
    {
        private readonly EventSource _source;
        private readonly List<EventWrittenEventArgs> _events = [];

        public SingleSourceListener(EventSource source)
        {
            // Enabled here, not in OnEventSourceCreated: the base constructor calls that before this one runs.
            _source = source;
            EnableEvents(source, EventLevel.Verbose, EventKeywords.All);
        }

        public List<EventWrittenEventArgs> Events
        {
            get
            {
                lock (_events)
                {
                    return [.. _events];
                }
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData)
        {
            // The listener may see events of sources other tests enabled; only ours count.
            if (ReferenceEquals(eventData.EventSource, _source))
            {
                lock (_events)
                {
                    _events.Add(eventData);
                }
            }
        }
    }
}
