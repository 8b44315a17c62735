using System.Text;
using BenchmarkDotNet.Attributes;
using SipTraceContext.Sip;

namespace SipTraceContext.Benchmarks.SipAbstractions;

/// <summary>
/// Replacing the two trace headers of a ~1 KB INVITE, as a forwarding proxy does on every request,
/// against a plain copy of the message (the floor) and the hand-written string approach.
/// </summary>
[MemoryDiagnoser]
public class SipMessageEditorBenchmarks
{
    private static readonly SipHeaderValueWriter s_copyWriter = static (state, destination, out written) =>
    {
        written = state.Length;
        return state.TryCopyTo(destination);
    };

    private readonly byte[] _traceParent = Encoding.ASCII.GetBytes(InviteSamples.NewTraceParent);
    private readonly byte[] _traceState = Encoding.ASCII.GetBytes(InviteSamples.TraceState);
    private byte[] _invite = [];
    private byte[] _destination = [];

    [GlobalSetup]
    public void Setup()
    {
        _invite = InviteSamples.Invite();
        _destination = new byte[_invite.Length + 512];
    }

    /// <summary>The floor for any rewrite: copying the message once.</summary>
    [Benchmark(Baseline = true)]
    public int Copy_message()
    {
        _invite.CopyTo(_destination.AsSpan());
        return _invite.Length;
    }

    [Benchmark]
    public int Editor_replace_two_trace_headers()
    {
        scoped SipHeaderEditList edits = default;
        edits.Set("X-OTel-traceparent"u8, _traceParent);
        edits.Set("X-OTel-tracestate"u8, _traceState);
        return SipMessageEditor.TryApply(_invite, edits, _destination, out int written, out _) ? written : -1;
    }

    [Benchmark]
    public int Editor_replace_two_trace_headers_with_value_writer()
    {
        scoped SipHeaderEditList edits = default;
        edits.Set("X-OTel-traceparent"u8, _traceParent, s_copyWriter, _traceParent.Length);
        edits.Set("X-OTel-tracestate"u8, _traceState);
        return SipMessageEditor.TryApply(_invite, edits, _destination, out int written, out _) ? written : -1;
    }

    /// <summary>What users write by hand: decode, drop the old lines, append new ones, encode.</summary>
    [Benchmark]
    public int Naive_string_rewrite()
    {
        string text = Encoding.UTF8.GetString(_invite);
        int end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var builder = new StringBuilder(text.Length + 128);
        foreach (string line in text[..end].Split("\r\n"))
        {
            if (!line.StartsWith("X-OTel-traceparent", StringComparison.OrdinalIgnoreCase)
                && !line.StartsWith("X-OTel-tracestate", StringComparison.OrdinalIgnoreCase))
            {
                builder.Append(line).Append("\r\n");
            }
        }

        builder.Append("X-OTel-traceparent: ").Append(InviteSamples.NewTraceParent).Append("\r\n");
        builder.Append("X-OTel-tracestate: ").Append(InviteSamples.TraceState).Append("\r\n");
        builder.Append(text, end + 2, text.Length - end - 2);
        return Encoding.UTF8.GetBytes(builder.ToString()).Length;
    }
}
