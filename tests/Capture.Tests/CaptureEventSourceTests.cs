using SipTraceContext.Capture.Internal;
using SipTraceContext.Tests.Shared;

namespace SipTraceContext.Capture.Tests;

public sealed class CaptureEventSourceTests
{
    [Fact]
    public void Each_event_writes_what_its_attribute_and_parameters_declare() =>
        EventSourceConsistency.AssertEventsMatchTheirAttributes(CaptureEventSource.Log);

    [Fact]
    public void Its_name_is_one_OpenTelemetry_self_diagnostics_records()
    {
        // OpenTelemetry's SelfDiagnosticsEventListener enables the sources whose name starts with this (ordinal).
        Assert.StartsWith("OpenTelemetry-", CaptureEventSource.Log.Name, StringComparison.Ordinal);
        Assert.Equal("OpenTelemetry-Instrumentation-SipTraceContext-Capture", CaptureEventSource.Log.Name);
    }
}
