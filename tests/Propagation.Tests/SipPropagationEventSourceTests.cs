using SipTraceContext.Propagation.Internal;
using SipTraceContext.Tests.Shared;

namespace SipTraceContext.Propagation.Tests;

public sealed class SipPropagationEventSourceTests
{
    [Fact]
    public void Each_event_writes_what_its_attribute_and_parameters_declare() =>
        EventSourceConsistency.AssertEventsMatchTheirAttributes(SipPropagationEventSource.Log);
}
