using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using S = SipTraceContext.Instrumentation.Tests.Sip;

namespace SipTraceContext.Capture.Tests;

/// <summary>
/// FsCheck properties of the capture file replay over generated files (every container, byte order,
/// resolution and link type; UDP and TCP cut at any points) and over mutated and truncated ones: every
/// message of a valid file is recorded, and no file makes the replay throw anything but the
/// <see cref="InvalidDataException"/> of a file that does not start as a capture.
/// </summary>
public sealed class SipCaptureFileProperties
{
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);

    /// <summary>A file and how many SIP messages it holds.</summary>
    internal sealed record GeneratedFile(byte[] Bytes, int Frames, int Messages, string Description)
    {
        public override string ToString() => $"{Description}, {Bytes.Length} bytes, {Frames} frames, {Messages} messages";
    }

    private static Gen<GeneratedFile> Files =>
        from pcapng in Gen.Elements(true, false)
        from link in Gen.Elements(1, 113, 276, 101, 0)
        from bigEndian in Gen.Elements(true, false)
        from nanoseconds in Gen.Elements(true, false)
        from v6 in Gen.Elements(true, false)
        from calls in Gen.Choose(1, 3)
        from tcp in Gen.Elements(true, false)
        from cuts in Gen.ListOf(Gen.Choose(1, 4000))
        select Build(pcapng, link, bigEndian, nanoseconds, v6, calls, tcp, cuts);

    private static GeneratedFile Build(bool pcapng, int link, bool bigEndian, bool nanoseconds, bool v6, int calls, bool tcp, IEnumerable<int> cuts)
    {
        using var writer = new CaptureFileWriter(pcapng, link, bigEndian, nanoseconds) { VlanId = 7 };
        string caller = v6 ? "2001:db8::1" : "10.0.0.1", node = v6 ? "2001:db8::5" : "10.0.0.5";
        var messages = new List<byte[]>();
        for (int i = 0; i < calls; i++)
        {
            string callId = $"prop-{i}@test";
            messages.Add(S.Invite(callId));
            messages.Add(S.Response(200, "OK", callId));
            messages.Add(S.Bye(callId));
        }

        int frames = 0;
        if (!tcp)
        {
            foreach (byte[] message in messages)
            {
                writer.Udp(Start.AddMilliseconds(frames), caller, node, message);
                frames++;
            }
        }
        else
        {
            // One stream, cut into segments at the generated points.
            byte[] stream = [.. messages.SelectMany(m => m)];
            int at = 0;
            using IEnumerator<int> cut = cuts.GetEnumerator();
            while (at < stream.Length)
            {
                int length = Math.Min(stream.Length - at, cut.MoveNext() ? cut.Current : stream.Length);
                writer.Tcp(Start.AddMilliseconds(frames), caller, node, 1000 + (uint)at, stream[at..(at + length)]);
                at += length;
                frames++;
            }
        }

        return new GeneratedFile(writer.ToArray(), frames, messages.Count, $"{(pcapng ? "pcapng" : "pcap")} link {link} {(bigEndian ? "BE" : "LE")} {(nanoseconds ? "ns" : "µs")} {(v6 ? "IPv6" : "IPv4")} {(tcp ? "TCP" : "UDP")}");
    }

    private static SipCaptureReplayResult Replay(byte[] file, string node)
    {
        var options = new HepCaptureOptions();
        options.NodeEndPoints.Add(node);
        return SipCaptureFile.Replay(new MemoryStream(file), options, null);
    }

    private static SipCaptureReplayResult Replay(GeneratedFile file) => Replay(file.Bytes, file.Description.Contains("IPv6", StringComparison.Ordinal) ? "[2001:db8::5]:5060" : "10.0.0.5:5060");

    /// <summary>Replays, treating an <see cref="InvalidDataException"/> (not a capture at all) as a result; any other exception fails.</summary>
    private static SipCaptureReplayResult? ReplayOrRefuse(byte[] bytes)
    {
        try
        {
            return Replay(bytes, "10.0.0.5:5060");
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }

    [Property(MaxTest = 200)]
    public Property Every_message_of_a_generated_file_is_recorded() =>
        Prop.ForAll(Files.ToArbitrary(), file =>
        {
            SipCaptureReplayResult result = Replay(file);
            return (result.Error is null && result.Frames == file.Frames && result.Messages == file.Messages && result.Recorded == file.Messages
                    && result.Skipped == 0 && result.TcpBytesDiscarded == 0)
                .Label($"error {result.Error}, frames {result.Frames}, messages {result.Messages}, recorded {result.Recorded}, skipped {result.Skipped}, discarded {result.TcpBytesDiscarded}");
        });

    [Property(MaxTest = 300)]
    public Property Mutated_files_never_throw_and_never_record_more_than_they_hold() =>
        Prop.ForAll(Files.ToArbitrary(), ArbMap.Default.ArbFor<(int, byte)[]>(), (file, edits) =>
        {
            byte[] bytes = [.. file.Bytes];
            foreach ((int at, byte value) in edits)
            {
                bytes[(int)((uint)at % (uint)bytes.Length)] = value;
            }

            SipCaptureReplayResult? result = ReplayOrRefuse(bytes);
            // A frame takes at least a 16-byte record header or a 32-byte block: no length field invents frames.
            return result is null || (result.Recorded <= result.Messages && result.Frames <= bytes.Length / 16);
        });

    [Property(MaxTest = 100)]
    public Property Every_truncation_of_a_file_stops_cleanly() =>
        Prop.ForAll(Files.ToArbitrary(), Gen.Choose(0, 1_000_000).ToArbitrary(), (file, cutSeed) =>
        {
            int cut = cutSeed % file.Bytes.Length;
            SipCaptureReplayResult? result = ReplayOrRefuse(file.Bytes[..cut]);

            // Cut inside the file header: refused; later: what came before is replayed, nothing more.
            return result is null || (result.Recorded <= file.Messages && result.Frames <= file.Frames);
        });

    [Property(MaxTest = 300)]
    public Property Noise_after_a_valid_header_never_throws() =>
        Prop.ForAll(Gen.Elements(true, false).ToArbitrary(), Gen.Elements(true, false).ToArbitrary(), ArbMap.Default.ArbFor<byte[]>(), (pcapng, bigEndian, noise) =>
        {
            using var writer = new CaptureFileWriter(pcapng, 1, bigEndian);
            SipCaptureReplayResult? result = ReplayOrRefuse([.. writer.ToArray(), .. noise]);
            return result is not null && result.Recorded == 0;
        });
}
