using System.Diagnostics;

namespace SipTraceContext.Propagation;

/// <summary>
/// Where an incoming context leads at a trust boundary: the parent to start spans under and the
/// links to record. Build it with <see cref="Resolve"/>, per message.
/// </summary>
public readonly struct SipTrustBoundary : IEquatable<SipTrustBoundary>
{
    private SipTrustBoundary(ActivityContext parent, ActivityContext linked)
    {
        Parent = parent;
        Linked = linked;
    }

    /// <summary>The parent for new spans: the remote context when trusted, otherwise <c>default</c> (a new trace).</summary>
    public ActivityContext Parent { get; }

    /// <summary>The remote context to record as a span link (<see cref="SipTrustMode.Link"/>), otherwise <c>default</c>.</summary>
    public ActivityContext Linked { get; }

    /// <summary>Whether there is a context to link.</summary>
    public bool HasLink => Linked.TraceId != default;

    /// <summary>The links to pass to <c>ActivitySource.StartActivity</c>: one for <see cref="SipTrustMode.Link"/>, otherwise <c>null</c>.</summary>
    /// <returns>A one-element array, or <c>null</c>.</returns>
    public ActivityLink[]? CreateLinks() => HasLink ? [new ActivityLink(Linked)] : null;

    /// <summary>Applies a trust decision to an extracted context.</summary>
    /// <param name="remote">What the message's headers carried (may be <c>default</c>).</param>
    /// <param name="mode">What the sender's headers mean.</param>
    /// <returns>The parent and link to use.</returns>
    public static SipTrustBoundary Resolve(in ActivityContext remote, SipTrustMode mode) => mode switch
    {
        SipTrustMode.Parent => new SipTrustBoundary(remote, default),
        SipTrustMode.Link => new SipTrustBoundary(default, remote),
        _ => default,
    };

    /// <inheritdoc/>
    public bool Equals(SipTrustBoundary other) => Parent == other.Parent && Linked == other.Linked;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is SipTrustBoundary other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Parent, Linked);

    /// <summary>Whether two decisions are the same.</summary>
    /// <param name="left">The first.</param>
    /// <param name="right">The second.</param>
    /// <returns>Whether they are equal.</returns>
    public static bool operator ==(SipTrustBoundary left, SipTrustBoundary right) => left.Equals(right);

    /// <summary>Whether two decisions differ.</summary>
    /// <param name="left">The first.</param>
    /// <param name="right">The second.</param>
    /// <returns>Whether they differ.</returns>
    public static bool operator !=(SipTrustBoundary left, SipTrustBoundary right) => !left.Equals(right);
}
