using System.Diagnostics;
using System.Net;
using System.Text;

namespace SipTraceContext.Interop.Tests.Infrastructure;

/// <summary>
/// Every SIP message the test's own endpoints sent and received, byte for byte, plus the logs of the
/// programs it ran: what a failing test writes to its output, so the header case, compact forms and
/// folding Kamailio and SIPp really sent can be read there.
/// </summary>
internal sealed class SipTranscript
{
    private readonly List<string> _entries = [];
    private readonly List<(string Name, Func<string> Read)> _logs = [];
    private readonly Lock _gate = new();
    private readonly long _start = Stopwatch.GetTimestamp();

    public void Record(string endpoint, bool received, EndPoint peer, ReadOnlySpan<byte> message)
    {
        double ms = Stopwatch.GetElapsedTime(_start).TotalMilliseconds;
        string arrow = received ? "<-" : "->";
        string text = $"[{ms,8:F1} ms] {endpoint} {arrow} {peer} ({message.Length} bytes)\n{Visible(message)}";
        lock (_gate)
        {
            _entries.Add(text);
        }
    }

    public void Note(string text)
    {
        double ms = Stopwatch.GetElapsedTime(_start).TotalMilliseconds;
        lock (_gate)
        {
            _entries.Add($"[{ms,8:F1} ms] {text}");
        }
    }

    /// <summary>A log to append to the dump (read when the dump is written, so it is complete).</summary>
    public void AttachLog(string name, Func<string> read)
    {
        lock (_gate)
        {
            _logs.Add((name, read));
        }
    }

    public void WriteTo(ITestOutputHelper output)
    {
        List<string> entries;
        List<(string Name, Func<string> Read)> logs;
        lock (_gate)
        {
            entries = [.. _entries];
            logs = [.. _logs];
        }

        output.WriteLine($"==== SIP messages seen by the test's endpoints ({entries.Count}) ====");
        foreach (string entry in entries)
        {
            output.WriteLine(entry);
        }

        foreach ((string name, Func<string> read) in logs)
        {
            string text;
            try
            {
                text = read();
            }
            catch (IOException e)
            {
                text = "(unreadable: " + e.Message + ")";
            }

            output.WriteLine($"==== {name} ====");
            output.WriteLine(text);
        }
    }

    /// <summary>The message as text with CR, LF and other control bytes made visible.</summary>
    public static string Visible(ReadOnlySpan<byte> message)
    {
        var text = new StringBuilder(message.Length + 64);
        foreach (byte b in message)
        {
            switch (b)
            {
                case (byte)'\r':
                    text.Append("\\r");
                    break;
                case (byte)'\n':
                    text.Append("\\n\n");
                    break;
                case (byte)'\t':
                    text.Append("\\t");
                    break;
                case < 0x20 or >= 0x7F:
                    text.Append(System.Globalization.CultureInfo.InvariantCulture, $"\\x{b:X2}");
                    break;
                default:
                    text.Append((char)b);
                    break;
            }
        }

        return text.ToString();
    }
}
