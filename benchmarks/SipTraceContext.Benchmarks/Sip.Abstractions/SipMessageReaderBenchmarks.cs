using System.Text;
using BenchmarkDotNet.Attributes;
using SipTraceContext.Sip;

namespace SipTraceContext.Benchmarks.SipAbstractions;

/// <summary>
/// Finding a header near the end of a ~1 KB INVITE, against the floor (a plain vectorized
/// <c>IndexOf</c> of that header's line, which neither validates nor handles case, compact forms or
/// folding) and against what users write by hand (decode to a string, split into a dictionary).
/// </summary>
[MemoryDiagnoser]
public class SipMessageReaderBenchmarks
{
    private byte[] _invite = [];
    private SipTraceContext.Sip.Internal.SipMessageLayout _parsed;

    [GlobalSetup]
    public void Setup()
    {
        _invite = InviteSamples.Invite();
        _parsed = new SipMessageReader(_invite).Layout;
    }

    /// <summary>The floor: where the header's line starts, exact case only, no parsing at all.</summary>
    [Benchmark(Baseline = true)]
    public int IndexOf_header_line() => _invite.AsSpan().IndexOf("\r\nX-OTel-traceparent:"u8);

    /// <summary>
    /// Find the header with a reader the caller already holds (a proxy reads a message once, then
    /// looks up several headers): the reader is re-attached to its layout, not parsed again.
    /// </summary>
    [Benchmark]
    public int Reader_find_header_in_parsed_message()
    {
        var reader = new SipMessageReader(_invite, _parsed);
        return reader.TryGetHeader("X-OTel-traceparent"u8, out ReadOnlySpan<byte> value) ? value.Length : -1;
    }

    /// <summary>
    /// The static single-header lookup on bytes nobody has parsed: one vectorised pass to the field,
    /// validating only the framing it relies on.
    /// </summary>
    [Benchmark]
    public int Find_header_in_fresh_message()
    {
        return SipMessageReader.TryFindHeader(_invite, "X-OTel-traceparent"u8, out SipHeaderField field) ? field.Value.Length : -1;
    }

    /// <summary>Validate the whole start line and header section, then find the header.</summary>
    [Benchmark]
    public int Reader_parse_and_find_header()
    {
        var reader = new SipMessageReader(_invite);
        return reader.TryGetHeader("X-OTel-traceparent"u8, out ReadOnlySpan<byte> value) ? value.Length : -1;
    }

    /// <summary>The validating pass alone (what every lookup on a fresh reader starts with).</summary>
    [Benchmark]
    public int Reader_parse_only() => new SipMessageReader(_invite).HeaderCount;

    /// <summary>Every header field in order, names and trimmed values.</summary>
    [Benchmark]
    public int Reader_parse_and_iterate_all_headers()
    {
        var reader = new SipMessageReader(_invite);
        int total = 0;
        foreach (SipHeaderField field in reader.Headers)
        {
            total += field.Name.Length + field.Value.Length;
        }

        return total;
    }

    /// <summary>What users write by hand: decode the datagram, split lines, fill a case-insensitive dictionary.</summary>
    [Benchmark]
    public int Naive_decode_split_dictionary()
    {
        string text = Encoding.UTF8.GetString(_invite);
        int end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (string line in text[..end].Split("\r\n").Skip(1))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }

        return headers.TryGetValue("X-OTel-traceparent", out string? value) ? value.Length : -1;
    }
}
