using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using SipTraceContext.Tests.Shared;

namespace SipTraceContext.Interop.Tests.Infrastructure;

/// <summary>
/// One SIPp run of a scenario under <c>Scenarios/</c>: one call (<c>-m 1</c>), no terminal
/// (<c>-nostdin</c>), a global timeout that makes it exit with an error, message and error traces kept
/// for the failure dump. Stopped by its PID on dispose if it is still running.
/// </summary>
internal sealed partial class SippProcess : IAsyncDisposable
{
    /// <summary>SIPp's own limit on the whole run; the test waits a little longer.</summary>
    public static readonly TimeSpan GlobalTimeout = TimeSpan.FromSeconds(20);

    // SIPp's exit code for "fatal error binding a socket" (-2): its port, picked free before it
    // started, was taken in between. It is started again on other ports.
    private const int BindFailedExitCode = 254;
    private const int StartAttempts = 3;

    private readonly ChildProcess _process;
    private readonly DirectoryInfo _directory;

    private SippProcess(ChildProcess process, DirectoryInfo directory, int port)
    {
        _process = process;
        _directory = directory;
        EndPoint = new IPEndPoint(IPAddress.Loopback, port);
    }

    public IPEndPoint EndPoint { get; }

    public string Output => _process.Output;

    public string Messages => ReadIfExists("messages.log");

    public string Errors => ReadIfExists("errors.log");

    /// <summary>What the scenario's <c>&lt;log&gt;</c> actions wrote.</summary>
    public string Logs => ReadIfExists("scenario.log");

    /// <summary>
    /// Starts SIPp with a scenario. <paramref name="replacements"/> fill <c>{{NAME}}</c> placeholders in
    /// the scenario file (for values a regular expression must contain); <paramref name="variables"/>
    /// are passed with <c>-set</c>. Lines of the scenario file that contain one of
    /// <paramref name="omitLinesContaining"/> are left out before that: a caller that sends no trace
    /// headers (its <c>X-OTel-</c> header lines), a callee that checks none (its lines naming
    /// <c>{{TRACE_HEADER}}</c>, each a one-line action).
    /// </summary>
    public static async Task<SippProcess> StartAsync(
        SipTranscript transcript,
        string name,
        string scenario,
        IPEndPoint? remote = null,
        IReadOnlyDictionary<string, string>? variables = null,
        IReadOnlyDictionary<string, string>? replacements = null,
        string service = "callee",
        IReadOnlyList<string>? omitLinesContaining = null,
        bool overTcp = false)
    {
        for (int attempt = 1; ; attempt++)
        {
            SippProcess instance = await StartOnceAsync(transcript, name, scenario, remote, variables, replacements, service, omitLinesContaining, overTcp).ConfigureAwait(false);
            if (!instance._process.HasExited || instance._process.ExitCode != BindFailedExitCode || attempt == StartAttempts)
            {
                return instance;
            }

            transcript.Note($"sipp '{name}' could not bind {instance.EndPoint}; starting it again on other ports");
            await instance.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static async Task<SippProcess> StartOnceAsync(
        SipTranscript transcript,
        string name,
        string scenario,
        IPEndPoint? remote,
        IReadOnlyDictionary<string, string>? variables,
        IReadOnlyDictionary<string, string>? replacements,
        string service,
        IReadOnlyList<string>? omitLinesContaining,
        bool overTcp)
    {
        string sipp = InteropTools.Sipp;
        DirectoryInfo directory = Directory.CreateTempSubdirectory("siptracecontext-sipp-");
        string text = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Scenarios", scenario)).ConfigureAwait(false);
        if (omitLinesContaining is { Count: > 0 })
        {
            text = string.Join('\n', text.Split('\n').Where(line => !omitLinesContaining.Any(omit => line.Contains(omit, StringComparison.Ordinal))));

            // SIPp refuses a global variable the scenario declares but never uses: drop those only the
            // omitted lines used (pass no -set for them either).
            string used = text;
            text = GlobalVariables().Replace(text, match =>
            {
                string[] kept = [.. match.Groups[2].Value.Split(',').Where(name => used.Contains("[$" + name.Trim() + "]", StringComparison.Ordinal))];
                return match.Groups[1].Value + string.Join(',', kept) + match.Groups[3].Value;
            });
        }

        foreach ((string key, string value) in replacements ?? new Dictionary<string, string>())
        {
            text = text.Replace("{{" + key + "}}", value, StringComparison.Ordinal);
        }

        string scenarioPath = Path.Combine(directory.FullName, scenario);
        await File.WriteAllTextAsync(scenarioPath, text).ConfigureAwait(false);

        int port = LoopbackPorts.NextUdp();
        int mediaPort = LoopbackPorts.NextUdp();
        var arguments = new List<string>();
        if (remote is not null)
        {
            arguments.Add($"{remote.Address}:{remote.Port}");
        }

        arguments.AddRange(
        [
            "-sf", scenarioPath,
            "-i", "127.0.0.1",
            "-p", port.ToString(CultureInfo.InvariantCulture),
            "-mi", "127.0.0.1",
            "-mp", mediaPort.ToString(CultureInfo.InvariantCulture),
            "-s", service,
            "-m", "1",
            "-nostdin",
            "-timeout", $"{(int)GlobalTimeout.TotalSeconds}s",
            "-timeout_error",
            "-trace_msg", "-message_file", Path.Combine(directory.FullName, "messages.log"),
            "-trace_err", "-error_file", Path.Combine(directory.FullName, "errors.log"),
            "-trace_logs", "-log_file", Path.Combine(directory.FullName, "scenario.log"),
        ]);
        foreach ((string key, string value) in variables ?? new Dictionary<string, string>())
        {
            arguments.AddRange(["-set", key, value]);
        }

        if (overTcp)
        {
            // One TCP connection for the call (SIPp's default transport is UDP, u1).
            arguments.AddRange(["-t", "t1"]);
        }

        ChildProcess process = ChildProcess.Start(sipp, arguments, directory.FullName);
        var instance = new SippProcess(process, directory, port);
        transcript.Note($"started sipp '{name}' pid {process.Id} on {instance.EndPoint}: {scenario}");
        transcript.AttachLog($"sipp '{name}' (pid {process.Id}) messages", () => instance.Messages);
        transcript.AttachLog($"sipp '{name}' (pid {process.Id}) errors", () => instance.Errors);
        transcript.AttachLog($"sipp '{name}' (pid {process.Id}) scenario log", () => instance.Logs);
        transcript.AttachLog($"sipp '{name}' (pid {process.Id}) stdout/stderr", () => instance.Output);

        // Ready once its SIP socket is bound (or it already gave up).
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (!process.HasExited && !LoopbackPorts.IsUdpBound(port) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20).ConfigureAwait(false);
        }

        return instance;
    }

    /// <summary>Waits for SIPp to finish its one call and returns its exit code (0: the call succeeded).</summary>
    public async Task<int> WaitForExitCodeAsync()
    {
        if (!await _process.WaitForExitAsync(GlobalTimeout + TimeSpan.FromSeconds(5)).ConfigureAwait(false))
        {
            throw new TimeoutException($"sipp (pid {_process.Id}) did not end within its own timeout.");
        }

        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync().ConfigureAwait(false);
        try
        {
            _directory.Delete(recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    [GeneratedRegex("(<Global variables=\")([^\"]*)(\")")]
    private static partial Regex GlobalVariables();

    private string ReadIfExists(string file)
    {
        string path = Path.Combine(_directory.FullName, file);
        return File.Exists(path) ? File.ReadAllText(path) : "(none)";
    }
}
