using System.Diagnostics;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using SipTraceContext.Instrumentation.Internal;

namespace SipTraceContext.Instrumentation.Tests;

/// <summary>
/// A transaction keeps its open span in a slot of its shard's <see cref="OpenSpans"/>: whatever transactions
/// open, replace and close, in any order, each finds its own span and no other, and closed slots are reused.
/// </summary>
public sealed class OpenSpansProperties
{
    // An operation on one of eight transactions: 0 opens or replaces its span, 1 closes it.
    private static Gen<(int Transaction, int Operation)[]> Operations =>
        Gen.ListOf(from transaction in Gen.Choose(0, 7)
                   from operation in Gen.Choose(0, 1)
                   select (transaction, operation)).Select(o => o.ToArray());

    [Property(MaxTest = 300)]
    public Property Each_transaction_finds_its_own_span_whatever_the_others_do() =>
        Prop.ForAll(Operations.ToArbitrary(), operations =>
        {
            var spans = new OpenSpans();
            var transactions = Enumerable.Range(0, 8).Select(_ => new SipTransaction(spans, new KeptContexts())).ToArray();
            var expected = new Activity?[8];
            int made = 0;
            foreach ((int transaction, int operation) in operations)
            {
                Activity? span = operation == 0 ? new Activity("span " + made++) : null;
                transactions[transaction].Activity = span;
                expected[transaction] = span;
                for (int t = 0; t < 8; t++)
                {
                    if (!ReferenceEquals(transactions[t].Activity, expected[t]))
                    {
                        return false;
                    }
                }

                if (spans.Count != expected.Count(a => a is not null))
                {
                    return false;
                }
            }

            return true;
        });

    [Fact]
    public void A_cleared_transaction_gives_its_slot_back()
    {
        var spans = new OpenSpans();
        var transaction = new SipTransaction(spans, new KeptContexts());
        transaction.Activity = new Activity("setup");
        int slotsBefore = spans.Count;

        transaction.Clear();

        Assert.Equal(1, slotsBefore);
        Assert.Equal(0, spans.Count);
        Assert.Null(transaction.Activity);
    }

    [Fact]
    public void Slots_grow_past_the_first_array_and_are_reused()
    {
        var spans = new OpenSpans();
        int[] slots = Enumerable.Range(0, 100).Select(i => spans.Open(new Activity("span " + i))).ToArray();
        foreach (int slot in slots.Where(s => s % 2 == 0))
        {
            spans.Close(slot);
        }

        int reused = spans.Open(new Activity("late"));

        Assert.Equal(100, slots.Distinct().Count());
        Assert.DoesNotContain(0, slots);
        Assert.Equal(51, spans.Count);
        Assert.Equal(0, reused % 2);
        Assert.Equal("late", spans[reused]!.OperationName);
        Assert.Equal("span 0", spans[slots[0]]!.OperationName);
    }
}
