using SipTraceContext.Instrumentation.Internal;
using SipTraceContext.Tests.Shared;

namespace SipTraceContext.Instrumentation.Tests;

public sealed class SipInstrumentationEventSourceTests
{
    [Fact]
    public void Each_event_writes_what_its_attribute_and_parameters_declare() =>
        EventSourceConsistency.AssertEventsMatchTheirAttributes(SipInstrumentationEventSource.Log);
}
