using System.Text;
using BenchmarkDotNet.Attributes;
using SipTraceContext.Sip;

namespace SipTraceContext.Benchmarks.SipAbstractions;

/// <summary>
/// How the single-header lookup grows with a hostile message: a start line, a <c>Subject</c> field
/// folded over <see cref="ContinuationLines"/> tab-started continuation lines, then the field looked
/// for. The sizes are x1, x2, x4 and x8; the largest stays under 64 KiB, so it still fits one UDP
/// datagram and the reader's default header-section limit, and the reader row reads the whole of it.
/// </summary>
/// <remarks>
/// The baseline is a plain <c>IndexOf</c> of the field's line over the same bytes: it grows linearly,
/// so a ratio that stays flat across the sizes means the lookup does too. Each continuation line is
/// <c>\r\n\tabcded</c>: after its line feed the tab passes the lookup's per-block test, and the
/// <c>d</c> seven bytes on is where <c>Call-ID</c>'s last letter sits, so every one of them is a
/// candidate that reaches the per-line check.
/// </remarks>
[MemoryDiagnoser]
public class FoldedHeaderScalingBenchmarks
{
    private byte[] _message = [];

    /// <summary>Continuation lines in the folded field: 9 bytes each.</summary>
    [Params(875, 1750, 3500, 7000)]
    public int ContinuationLines { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var text = new StringBuilder("INVITE sip:bob@example.com SIP/2.0\r\nSubject: s");
        for (int i = 0; i < ContinuationLines; i++)
        {
            text.Append("\r\n\tabcded");
        }

        text.Append("\r\nCall-ID: c\r\n\r\n");
        _message = Encoding.ASCII.GetBytes(text.ToString());
    }

    /// <summary>The floor: where the field's line starts, exact case only, no parsing at all.</summary>
    [Benchmark(Baseline = true)]
    public int IndexOf_header_line() => _message.AsSpan().IndexOf("\r\nCall-ID:"u8);

    /// <summary>The static single-header lookup on the raw bytes.</summary>
    [Benchmark]
    public int Find_header_in_fresh_message() =>
        SipMessageReader.TryFindHeader(_message, "Call-ID"u8, out SipHeaderField field) ? field.Value.Length : -1;

    /// <summary>Validate the whole header section, then find the field.</summary>
    [Benchmark]
    public int Reader_parse_and_find_header()
    {
        var reader = new SipMessageReader(_message);
        return reader.TryGetHeader("Call-ID"u8, out ReadOnlySpan<byte> value) ? value.Length : -1;
    }
}
