using SipTraceContext.Capture.Internal;
using SipTraceContext.Tests.Shared;

namespace SipTraceContext.Capture.Tests;

public sealed class CaptureEventSourceTests
{
    [Fact]
    public void Each_event_writes_what_its_attribute_and_parameters_declare() =>
        EventSourceConsistency.AssertEventsMatchTheirAttributes(CaptureEventSource.Log);
}
