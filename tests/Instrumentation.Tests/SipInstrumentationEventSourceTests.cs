using SipTraceContext.Instrumentation.Internal;
using SipTraceContext.Tests.Shared;

namespace SipTraceContext.Instrumentation.Tests;

public sealed class SipInstrumentationEventSourceTests
{
    [Fact]
    public void Each_event_writes_what_its_attribute_and_parameters_declare() =>
        EventSourceConsistency.AssertEventsMatchTheirAttributes(SipInstrumentationEventSource.Log);

    [Fact]
    public void Its_name_is_one_OpenTelemetry_self_diagnostics_records()
    {
        // OpenTelemetry's SelfDiagnosticsEventListener enables the sources whose name starts with this (ordinal).
        Assert.StartsWith("OpenTelemetry-", SipInstrumentationEventSource.Log.Name, StringComparison.Ordinal);
        Assert.Equal("OpenTelemetry-Instrumentation-SipTraceContext-Instrumentation", SipInstrumentationEventSource.Log.Name);
    }
}
