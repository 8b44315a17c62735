namespace SipTraceContext.Instrumentation.Ims;

/// <summary>Which side of a session a P-CSCF serves for a request.</summary>
public enum ImsLeg
{
    /// <summary>The request comes from the handset and goes into the core (access trust, trace headers injected on forward).</summary>
    Originating = 0,

    /// <summary>The request comes from the core and goes to the handset (core trust, trace headers stripped on forward).</summary>
    Terminating = 1,
}
