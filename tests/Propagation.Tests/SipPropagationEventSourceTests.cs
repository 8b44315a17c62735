using SipTraceContext.Propagation.Internal;
using SipTraceContext.Tests.Shared;

namespace SipTraceContext.Propagation.Tests;

public sealed class SipPropagationEventSourceTests
{
    [Fact]
    public void Each_event_writes_what_its_attribute_and_parameters_declare() =>
        EventSourceConsistency.AssertEventsMatchTheirAttributes(SipPropagationEventSource.Log);

    [Fact]
    public void Its_name_is_one_OpenTelemetry_self_diagnostics_records()
    {
        // OpenTelemetry's SelfDiagnosticsEventListener enables the sources whose name starts with this (ordinal).
        Assert.StartsWith("OpenTelemetry-", SipPropagationEventSource.Log.Name, StringComparison.Ordinal);
        Assert.Equal("OpenTelemetry-Instrumentation-SipTraceContext-Propagation", SipPropagationEventSource.Log.Name);
    }
}
