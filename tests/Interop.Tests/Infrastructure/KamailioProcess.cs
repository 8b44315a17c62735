using System.Globalization;
using System.Net;
using System.Text;
using SipTraceContext.Tests.Shared;

namespace SipTraceContext.Interop.Tests.Infrastructure;

/// <summary>
/// Kamailio as a stateful proxy on 127.0.0.1 with the config in <c>Kamailio/proxy.cfg</c>: a trusted
/// and an untrusted UDP socket on ports chosen at start, an optional fixed next hop for initial
/// requests. Runs in the foreground (<c>-DD -E</c>) and is stopped by its PID on dispose.
/// </summary>
internal sealed class KamailioProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(10);

    // Its ports are picked free before it starts; if something took one in between, it exits at once
    // and is started again on new ports.
    private const int StartAttempts = 3;

    private readonly ChildProcess _process;
    private readonly DirectoryInfo _directory;

    private KamailioProcess(ChildProcess process, DirectoryInfo directory, int trustedPort, int untrustedPort)
    {
        _process = process;
        _directory = directory;
        Trusted = new IPEndPoint(IPAddress.Loopback, trustedPort);
        Untrusted = new IPEndPoint(IPAddress.Loopback, untrustedPort);
    }

    /// <summary>The socket inside the trust domain: headers are relayed as received.</summary>
    public IPEndPoint Trusted { get; }

    /// <summary>The socket facing an untrusted peer: <c>P-OTel-*</c> headers are removed.</summary>
    public IPEndPoint Untrusted { get; }

    public string Log => _process.Output;

    /// <summary>Starts Kamailio and waits until it answers an OPTIONS on both sockets.</summary>
    /// <param name="transcript">Where its log goes when the test fails.</param>
    /// <param name="nextHop">When set, every initial request is relayed there (the Request-URI is kept).</param>
    /// <param name="copyTraceHeaders">
    /// Whether <c>tm</c> copies <c>X-OTel-*</c> from the forwarded INVITE into the CANCEL and non-2xx ACK
    /// it builds (<c>ac_extra_hdrs</c>); on by default, as the README tells deployments to configure it.
    /// </param>
    /// <param name="hepCollector">
    /// When set, the <c>siptrace</c> module mirrors every SIP message Kamailio receives and sends there as
    /// HEP (<c>trace_mode</c> 1: core send/receive events, no <c>sip_trace()</c> calls; <c>trace_to_database</c> 0,
    /// else it fails to start without a database module) with capture
    /// agent id <see cref="HepCaptureId"/>.
    /// </param>
    /// <param name="hepVersion">The HEP version siptrace sends (<c>hep_version</c>: 1, 2 or 3).</param>
    /// <param name="hepCaptureId">The capture agent id siptrace sends (<c>hep_capture_id</c>); <see cref="HepCaptureId"/> by default.</param>
    /// <param name="hepOverTcp">
    /// Whether siptrace sends HEP over TCP (<c>;transport=tcp</c> in <c>duplicate_uri</c>); Kamailio then
    /// also listens on TCP on the trusted port, the socket it sends from.
    /// </param>
    /// <param name="hideTopology">Whether and how it hides the topology, as a B2BUA's leg change would (<see cref="TopologyHiding"/>).</param>
    public static async Task<KamailioProcess> StartAsync(SipTranscript transcript, IPEndPoint? nextHop = null, bool copyTraceHeaders = true, IPEndPoint? hepCollector = null, int hepVersion = 3, uint hepCaptureId = HepCaptureId, bool hepOverTcp = false, TopologyHiding hideTopology = TopologyHiding.None)
    {
        for (int attempt = 1; ; attempt++)
        {
            KamailioProcess instance = await StartOnceAsync(transcript, nextHop, copyTraceHeaders, hepCollector, hepVersion, hepCaptureId, hepOverTcp, hideTopology).ConfigureAwait(false);
            bool ready;
            try
            {
                ready = await instance.WaitUntilReadyAsync(instance.Trusted).ConfigureAwait(false)
                    && await instance.WaitUntilReadyAsync(instance.Untrusted).ConfigureAwait(false);
            }
            catch
            {
                await instance.DisposeAsync().ConfigureAwait(false);
                throw;
            }

            if (ready)
            {
                return instance;
            }

            string log = instance.Log;
            int exitCode = instance._process.ExitCode;
            await instance.DisposeAsync().ConfigureAwait(false);
            if (attempt == StartAttempts)
            {
                throw new InvalidOperationException($"kamailio exited with code {exitCode} before it was ready, {StartAttempts} times; the last log:\n{log}");
            }

            transcript.Note($"kamailio exited with code {exitCode} before it was ready; starting it again on other ports");
        }
    }

    private static async Task<KamailioProcess> StartOnceAsync(SipTranscript transcript, IPEndPoint? nextHop, bool copyTraceHeaders, IPEndPoint? hepCollector, int hepVersion, uint hepCaptureId, bool hepOverTcp, TopologyHiding hideTopology)
    {
        string kamailio = InteropTools.Kamailio;
        string modules = InteropTools.KamailioModules;
        DirectoryInfo directory = Directory.CreateTempSubdirectory("siptracecontext-kamailio-");
        int trustedPort = LoopbackPorts.NextUdp();
        int untrustedPort = LoopbackPorts.NextUdp();

        string template = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Kamailio", "proxy.cfg")).ConfigureAwait(false);
        string config = template
            .Replace(
                "{{TCP}}",
                hepOverTcp ? "disable_tcp=no\nlisten=tcp:127.0.0.1:{{TRUSTED_PORT}}" : "disable_tcp=yes",
                StringComparison.Ordinal)
            .Replace("{{TRUSTED_PORT}}", trustedPort.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{{UNTRUSTED_PORT}}", untrustedPort.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{{MODULES_DIR}}", modules, StringComparison.Ordinal)
            .Replace(
                "{{AC_EXTRA_HDRS}}",
                copyTraceHeaders ? "modparam(\"tm\", \"ac_extra_hdrs\", \"X-OTel-\")" : "# ac_extra_hdrs left unset: tm's own CANCEL and non-2xx ACK carry no trace headers.",
                StringComparison.Ordinal)
            .Replace("{{SIPTRACE}}", hepCollector is null ? "# No HEP capture." : SiptraceConfig(hepCollector, hepVersion, hepCaptureId, hepOverTcp), StringComparison.Ordinal)
            .Replace("{{TOPOLOGY_HIDING}}", hideTopology != TopologyHiding.None ? TopologyHidingConfig.Replace("MASKCALLID", hideTopology == TopologyHiding.MaskViasKeepCallId ? "0" : "1", StringComparison.Ordinal) : "# No topology hiding.", StringComparison.Ordinal)
            .Replace(
                "{{INITIAL_REQUEST_ACTION}}",
                hideTopology == TopologyHiding.MaskCallIdAddXCid ? "append_hf(\"X-CID: $ci\\r\\n\");" : "# Initial requests are relayed as received.",
                StringComparison.Ordinal)
            .Replace(
                "{{NEXT_HOP_ACTION}}",
                nextHop is null ? "# No fixed next hop: relay to the Request-URI." : $"$du = \"sip:{nextHop.Address}:{nextHop.Port}\";",
                StringComparison.Ordinal);
        string configPath = Path.Combine(directory.FullName, "kamailio.cfg");
        await File.WriteAllTextAsync(configPath, config).ConfigureAwait(false);

        ChildProcess process = ChildProcess.Start(
            kamailio,
            ["-DD", "-E", "-f", configPath, "-P", Path.Combine(directory.FullName, "kamailio.pid"), "-Y", directory.FullName, "-w", directory.FullName],
            directory.FullName);
        var instance = new KamailioProcess(process, directory, trustedPort, untrustedPort);
        transcript.AttachLog($"kamailio (pid {process.Id}, trusted {instance.Trusted}, untrusted {instance.Untrusted}) log", () => process.Output);
        transcript.Note($"started kamailio pid {process.Id}: trusted {instance.Trusted}, untrusted {instance.Untrusted}, next hop {nextHop?.ToString() ?? "Request-URI"}{(hideTopology != TopologyHiding.None ? $", topology hiding {hideTopology}" : string.Empty)}");
        return instance;
    }

    /// <summary>The HEP capture agent id Kamailio's siptrace sends (<c>hep_capture_id</c>).</summary>
    public const uint HepCaptureId = 2001;

    // mask_ip: the address topoh writes into masked Contact, Record-Route and Via headers (its default);
    // peers reach it only through the Record-Route of this node, never directly. MASKCALLID: 1 or 0.
    private static readonly string TopologyHidingConfig = string.Join(
        "\n",
        "loadmodule \"topoh.so\"",
        "modparam(\"topoh\", \"mask_key\", \"siptracecontext-interop\")",
        "modparam(\"topoh\", \"mask_ip\", \"127.0.0.8\")",
        "modparam(\"topoh\", \"mask_callid\", MASKCALLID)");

    private static string SiptraceConfig(IPEndPoint collector, int hepVersion, uint hepCaptureId, bool overTcp) =>
        string.Join(
            "\n",
            "loadmodule \"siptrace.so\"",
            $"modparam(\"siptrace\", \"duplicate_uri\", \"sip:{collector.Address}:{collector.Port}{(overTcp ? ";transport=tcp" : string.Empty)}\")",
            "modparam(\"siptrace\", \"trace_to_database\", 0)",
            "modparam(\"siptrace\", \"hep_mode_on\", 1)",
            $"modparam(\"siptrace\", \"hep_version\", {hepVersion})",
            $"modparam(\"siptrace\", \"hep_capture_id\", {hepCaptureId})",
            "modparam(\"siptrace\", \"trace_on\", 1)",
            "modparam(\"siptrace\", \"trace_mode\", 1)");

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync().ConfigureAwait(false);
        try
        {
            _directory.Delete(recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is not worth failing a test for.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>True once it answers an OPTIONS on the socket; false when it exited first.</summary>
    private async Task<bool> WaitUntilReadyAsync(IPEndPoint socket)
    {
        var probeTranscript = new SipTranscript();
        using var probe = new SipUdpEndpoint("readiness-probe", probeTranscript);
        DateTime deadline = DateTime.UtcNow + StartTimeout;
        int attempt = 0;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                return false;
            }

            attempt++;
            string options =
                $"OPTIONS sip:{socket.Address}:{socket.Port} SIP/2.0\r\n" +
                $"Via: SIP/2.0/UDP 127.0.0.1:{probe.Port};branch=z9hG4bK-ready-{attempt};rport\r\n" +
                "Max-Forwards: 70\r\n" +
                $"From: <sip:probe@127.0.0.1:{probe.Port}>;tag=ready\r\n" +
                $"To: <sip:{socket.Address}:{socket.Port}>\r\n" +
                $"Call-ID: ready-{Guid.NewGuid():N}\r\n" +
                $"CSeq: {attempt} OPTIONS\r\n" +
                "Content-Length: 0\r\n\r\n";
            await probe.SendAsync(Encoding.ASCII.GetBytes(options), socket).ConfigureAwait(false);
            ReceivedDatagram? answer = await probe.TryReceiveAsync(TimeSpan.FromMilliseconds(200)).ConfigureAwait(false);
            if (answer is not null && SipWire.IsResponse(answer.Data, out int status, out _) && status == 200)
            {
                return true;
            }
        }

        throw new TimeoutException($"kamailio did not answer OPTIONS on {socket} within {StartTimeout.TotalSeconds} s:\n{_process.Output}");
    }
}

/// <summary>What a <see cref="KamailioProcess"/> hides of the topology (the <c>topoh</c> module), as a B2BUA's leg change would.</summary>
internal enum TopologyHiding
{
    /// <summary>Nothing: a plain proxy.</summary>
    None,

    /// <summary>
    /// <c>topoh</c> masks the Vias under its own, Contact and Record-Route of what it relays, and unmasks
    /// what comes back; the Call-ID is kept (<c>mask_callid</c> 0).
    /// </summary>
    MaskViasKeepCallId,

    /// <summary>
    /// <c>topoh</c> masks the Vias under its own, Contact, Record-Route and the Call-ID
    /// (<c>mask_callid</c>) of what it relays, and unmasks what comes back.
    /// </summary>
    MaskCallId,

    /// <summary>As <see cref="MaskCallId"/>, and every initial request it relays gets <c>X-CID</c> with the Call-ID it received (the B2BUA's "original Call-ID").</summary>
    MaskCallIdAddXCid,
}
