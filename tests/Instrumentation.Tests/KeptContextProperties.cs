using System.Diagnostics;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using SipTraceContext.Instrumentation.Internal;

namespace SipTraceContext.Instrumentation.Tests;

/// <summary>
/// A call keeps its span contexts as numbers (<see cref="KeptContext"/>) and its shard hands them back as
/// <see cref="ActivityContext"/>s (<see cref="KeptContexts"/>): whatever was kept comes back equal, whether the
/// shard still has it as it was or has to make its ids again.
/// </summary>
public sealed class KeptContextProperties
{
    private static Gen<ActivityContext> Contexts =>
        from trace in Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), 16)
        from span in Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), 8)
        from flags in Gen.Choose(0, 3)
        from traceState in Gen.Elements<string?>(null, "congo=t61rcWkgMzE", "a=1,b=2")
        from isRemote in Gen.Elements(true, false)
        where trace.Any(b => b != 0) && span.Any(b => b != 0)
        select new ActivityContext(ActivityTraceId.CreateFromBytes(trace), ActivitySpanId.CreateFromBytes(span), (ActivityTraceFlags)flags, traceState, isRemote);

    [Property(MaxTest = 200)]
    public Property Every_kept_context_comes_back_equal_after_any_number_of_others() =>
        Prop.ForAll(Gen.ListOf(Contexts).Select(c => c.ToArray()).ToArbitrary(), contexts =>
        {
            var shard = new KeptContexts();
            KeptContext[] kept = contexts.Select(shard.Keep).ToArray();
            for (int i = 0; i < contexts.Length; i++)
            {
                if (!shard.Get(in kept[i]).Equals(contexts[i]) || !kept[i].ToContext().Equals(contexts[i]))
                {
                    return false;
                }
            }

            return true;
        });

    [Fact]
    public void No_context_is_kept_as_none()
    {
        var shard = new KeptContexts();
        KeptContext kept = shard.Keep(default);

        Assert.True(kept.IsEmpty);
        Assert.Equal(default, shard.Get(in kept));
    }
}
