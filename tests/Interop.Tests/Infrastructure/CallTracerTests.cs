namespace SipTraceContext.Interop.Tests.Infrastructure;

/// <summary>
/// The test classes whose code creates call tracers (directly or through the HEP listener). Every
/// tracer's source and meter share one name and the SDK subscribes by name, so two such classes running
/// in parallel would count each other's calls in their metrics; in one collection they take turns.
/// </summary>
[CollectionDefinition(Name)]
public sealed class CallTracerTests
{
    public const string Name = "call tracers";
}
