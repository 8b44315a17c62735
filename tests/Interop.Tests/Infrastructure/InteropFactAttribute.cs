namespace SipTraceContext.Interop.Tests.Infrastructure;

/// <summary>
/// A fact that drives real SIP peers (by default Kamailio and SIPp; name fewer with the constructor's
/// argument). Skipped when <c>SIPTRACECONTEXT_SKIP_INTEROP=1</c> is set, or when a program it needs is
/// missing, the reason naming the program and the install command; under CI (<c>CI=true</c>) a
/// missing program is not a reason to skip: the test runs and fails with the same instructions.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class InteropFactAttribute : FactAttribute
{
    /// <summary>A fact that needs <paramref name="tools"/>.</summary>
    public InteropFactAttribute(InteropTool tools = InteropTool.Kamailio | InteropTool.Sipp)
    {
        Tools = tools;
        if (InteropTools.SkipReason(tools) is { } reason)
        {
            Skip = reason;
        }
    }

    /// <summary>The programs the test drives.</summary>
    public InteropTool Tools { get; }
}

/// <summary>The theory counterpart of <see cref="InteropFactAttribute"/>.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class InteropTheoryAttribute : TheoryAttribute
{
    /// <summary>A theory that needs <paramref name="tools"/>.</summary>
    public InteropTheoryAttribute(InteropTool tools = InteropTool.Kamailio | InteropTool.Sipp)
    {
        Tools = tools;
        if (InteropTools.SkipReason(tools) is { } reason)
        {
            Skip = reason;
        }
    }

    /// <summary>The programs the test drives.</summary>
    public InteropTool Tools { get; }
}
