namespace SipTraceContext.Sip;

/// <summary>
/// Cached getter and setter delegates in the shape OpenTelemetry propagators take
/// (<c>Extract(context, carrier, getter)</c>, <c>Inject(context, carrier, setter)</c>), so passing
/// them allocates no delegate per message.
/// </summary>
public static class SipHeaderCarrier
{
    /// <summary>Returns every value of a header (an empty list when absent) from an <see cref="ISipHeaderCarrier"/>.</summary>
    public static Func<ISipHeaderCarrier, string, IEnumerable<string>?> Getter { get; } = static (carrier, name) => carrier?.GetValues(name);

    /// <summary>Replaces a header in an <see cref="ISipHeaderCarrier"/>: a proxy forwards trace context, it does not stack it.</summary>
    public static Action<ISipHeaderCarrier, string, string> Setter { get; } = static (carrier, name, value) => carrier?.Set(name, value);
}
