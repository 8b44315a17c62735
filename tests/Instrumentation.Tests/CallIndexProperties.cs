using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using SipTraceContext.Instrumentation.Internal;

namespace SipTraceContext.Instrumentation.Tests;

/// <summary>
/// The call table's index by Call-ID (<see cref="CallIndex"/>: open addressing, removal by shifting runs
/// back) against a dictionary, over generated sequences of adds, removals and resizes. Hashes are drawn
/// from a handful of values so that runs are long, wrap around the slots and collide without equal Call-IDs.
/// </summary>
public sealed class CallIndexProperties
{
    private const int Keys = 48;

    /// <summary>One operation: add or remove a Call-ID, or resize to room for some calls.</summary>
    public sealed record Operation(int Kind, int Key, int Room);

    private static Gen<Operation> Operations =>
        from kind in Gen.Frequency((6, Gen.Constant(0)), (4, Gen.Constant(1)), (1, Gen.Constant(2)))
        from key in Gen.Choose(0, Keys - 1)
        from room in Gen.Choose(0, 64)
        select new Operation(kind, key, room);

    [Property(MaxTest = 300)]
    public Property Finds_exactly_what_a_dictionary_holds_after_any_adds_removals_and_resizes() =>
        Prop.ForAll(Gen.ListOf(Operations).Select(steps => steps.ToArray()).ToArbitrary(), Gen.Choose(1, 7).ToArbitrary(), (steps, hashes) =>
        {
            var index = new CallIndex();
            var model = new Dictionary<int, CallState>();
            foreach (Operation step in steps)
            {
                switch (step.Kind)
                {
                    case 0 when !model.ContainsKey(step.Key):
                        CallState call = Call(step.Key, hashes);
                        index.Add(call);
                        model.Add(step.Key, call);
                        break;
                    case 1:
                        bool present = model.Remove(step.Key, out CallState? removed);
                        if (index.Remove(removed ?? Call(step.Key, hashes)) != present)
                        {
                            return false;
                        }

                        break;
                    case 2:
                        index.Resize(step.Room);
                        break;
                }

                if (index.Count != model.Count || index.Count > index.Room || !FindsModel(index, model, hashes))
                {
                    return false;
                }
            }

            List<CallState> drained = index.Drain();
            return index.Count == 0 && drained.Count == model.Count && drained.All(c => model.ContainsValue(c));
        });

    private static bool FindsModel(CallIndex index, Dictionary<int, CallState> model, int hashes)
    {
        for (int key = 0; key < Keys; key++)
        {
            CallState? found = index.Find(CallId(key), Hash(key, hashes));
            if (!ReferenceEquals(found, model.GetValueOrDefault(key)))
            {
                return false;
            }
        }

        return true;
    }

    private static CallState Call(int key, int hashes) => new(CallId(key), Hash(key, hashes), createdTicks: 0, new OpenSpans(), new KeptContexts());

    private static byte[] CallId(int key) => Encoding.ASCII.GetBytes($"call-{key}@index.example.com");

    // Few distinct hashes, some negative: colliding Call-IDs share runs, and slot indexes mask the sign away.
    private static int Hash(int key, int hashes) => (key % hashes) * -1_000_003 + (key % 2);
}
