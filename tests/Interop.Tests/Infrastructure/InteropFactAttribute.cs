namespace SipTraceContext.Interop.Tests.Infrastructure;

/// <summary>
/// A fact that drives real SIP peers. Skipped only when <c>SIPTRACECONTEXT_SKIP_INTEROP=1</c> is set
/// explicitly (CI never sets it); otherwise a missing tool fails the test with install instructions.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class InteropFactAttribute : FactAttribute
{
    public InteropFactAttribute()
    {
        if (InteropTools.SkipRequested)
        {
            Skip = $"{InteropTools.SkipVariable}=1: interoperability tests against Kamailio and SIPp skipped on request.";
        }
    }
}

/// <summary>The theory counterpart of <see cref="InteropFactAttribute"/>.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class InteropTheoryAttribute : TheoryAttribute
{
    public InteropTheoryAttribute()
    {
        if (InteropTools.SkipRequested)
        {
            Skip = $"{InteropTools.SkipVariable}=1: interoperability tests against Kamailio and SIPp skipped on request.";
        }
    }
}
