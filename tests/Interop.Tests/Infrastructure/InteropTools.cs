namespace SipTraceContext.Interop.Tests.Infrastructure;

/// <summary>The external programs an interoperability test drives.</summary>
[Flags]
public enum InteropTool
{
    /// <summary>Kamailio (<c>kamailio</c>, and its modules such as <c>tm.so</c>): the Debian package <c>kamailio</c>.</summary>
    Kamailio = 1,

    /// <summary>SIPp (<c>sipp</c>): the Debian package <c>sip-tester</c>.</summary>
    Sipp = 2,

    /// <summary>tcpdump (<c>tcpdump</c>): the Debian package <c>tcpdump</c>; capturing needs root (or CAP_NET_RAW).</summary>
    Tcpdump = 4,

    /// <summary>dumpcap (<c>dumpcap</c>), the capture engine of tshark and Wireshark, which writes pcapng: the Debian package <c>tshark</c>; capturing needs root.</summary>
    Dumpcap = 8,
}

/// <summary>Finds the external programs the interoperability tests run.</summary>
/// <remarks>
/// A test whose program is missing is skipped, with the reason naming the program and the install
/// command, except under CI (<c>CI=true</c>), where it runs and fails with the same message so that CI
/// keeps proving the tests. <c>SIPTRACECONTEXT_KAMAILIO</c> and <c>SIPTRACECONTEXT_SIPP</c> name the
/// program to use instead of searching PATH and the usual locations (a path that does not exist makes
/// the program missing, which is how the skip is tested on a machine that has the packages).
/// </remarks>
internal static class InteropTools
{
    public const string SkipVariable = "SIPTRACECONTEXT_SKIP_INTEROP";

    public const string KamailioVariable = "SIPTRACECONTEXT_KAMAILIO";

    public const string SippVariable = "SIPTRACECONTEXT_SIPP";

    /// <summary>The one command that installs every program the interoperability tests need (see .ci/apt-packages).</summary>
    public const string InstallCommand = "sudo apt-get install -y kamailio sip-tester tcpdump tshark";

    public const string TcpdumpVariable = "SIPTRACECONTEXT_TCPDUMP";

    public const string DumpcapVariable = "SIPTRACECONTEXT_DUMPCAP";

    private const string InstallHint =
        "Install it with: " + InstallCommand + " (.ci/run does this from .ci/apt-packages), or set " +
        SkipVariable + "=1 to skip the interoperability tests.";

    private static readonly string[] KamailioWellKnown = ["/usr/sbin/kamailio", "/usr/local/sbin/kamailio"];

    private static readonly string[] SippWellKnown = ["/usr/bin/sipp", "/usr/local/bin/sipp"];

    private static readonly string[] TcpdumpWellKnown = ["/usr/bin/tcpdump", "/usr/sbin/tcpdump"];

    private static readonly string[] DumpcapWellKnown = ["/usr/bin/dumpcap", "/usr/local/bin/dumpcap"];

    private static readonly string[] KamailioModuleDirectories =
    [
        "/usr/lib/x86_64-linux-gnu/kamailio/modules",
        "/usr/lib/aarch64-linux-gnu/kamailio/modules",
        "/usr/lib64/kamailio/modules",
        "/usr/lib/kamailio/modules",
        "/usr/local/lib64/kamailio/modules",
        "/usr/local/lib/kamailio/modules",
    ];

    public static bool SkipRequested => Environment.GetEnvironmentVariable(SkipVariable) == "1";

    /// <summary>True under CI (<c>CI=true</c>, as .ci/run is run): a missing program fails the test instead of skipping it.</summary>
    public static bool RunningInCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public static string Kamailio => Require(FindKamailio(out string? problem), problem);

    public static string Sipp => Require(FindSipp(out string? problem), problem);

    public static string Tcpdump => Require(FindTcpdump(out string? problem), problem);

    public static string Dumpcap => Require(FindDumpcap(out string? problem), problem);

    /// <summary>The module directory of the installed Kamailio (Debian's multiarch path first).</summary>
    public static string KamailioModules => Require(FindKamailioModules(out string? problem), problem);

    /// <summary>
    /// Why a test that needs <paramref name="tools"/> should be skipped here, or null if it should run:
    /// on request (<see cref="SkipVariable"/>), or because a program is missing and this is not CI.
    /// </summary>
    public static string? SkipReason(InteropTool tools)
    {
        if (SkipRequested)
        {
            return $"{SkipVariable}=1: interoperability tests against Kamailio and SIPp skipped on request.";
        }

        if (RunningInCi)
        {
            return null;
        }

        var missing = new List<string>();
        if (tools.HasFlag(InteropTool.Kamailio))
        {
            if (FindKamailio(out string? problem) is null)
            {
                missing.Add(problem!);
            }
            else if (FindKamailioModules(out problem) is null)
            {
                missing.Add(problem!);
            }
        }

        if (tools.HasFlag(InteropTool.Sipp) && FindSipp(out string? sippProblem) is null)
        {
            missing.Add(sippProblem!);
        }

        if (tools.HasFlag(InteropTool.Tcpdump))
        {
            if (FindTcpdump(out string? tcpdumpProblem) is null)
            {
                missing.Add(tcpdumpProblem!);
            }
            else if (!Environment.IsPrivilegedProcess)
            {
                missing.Add("tcpdump needs root (or CAP_NET_RAW) to capture on the loopback interface, and the tests do not run as root");
            }
        }

        if (tools.HasFlag(InteropTool.Dumpcap))
        {
            if (FindDumpcap(out string? dumpcapProblem) is null)
            {
                missing.Add(dumpcapProblem!);
            }
            else if (!Environment.IsPrivilegedProcess)
            {
                missing.Add("dumpcap needs root (or CAP_NET_RAW) to capture on the loopback interface, and the tests do not run as root");
            }
        }

        return missing.Count == 0
            ? null
            : $"Skipped: {string.Join("; ", missing)}. Install what the interoperability tests need with: {InstallCommand} (with CI=true a missing program fails the test instead).";
    }

    private static string Require(string? found, string? problem) =>
        found ?? throw new InvalidOperationException($"{problem}. {InstallHint}");

    private static string? FindKamailio(out string? problem) => Find("kamailio", KamailioVariable, KamailioWellKnown, out problem);

    private static string? FindSipp(out string? problem) => Find("sipp", SippVariable, SippWellKnown, out problem);

    private static string? FindTcpdump(out string? problem) => Find("tcpdump", TcpdumpVariable, TcpdumpWellKnown, out problem);

    private static string? FindDumpcap(out string? problem) => Find("dumpcap", DumpcapVariable, DumpcapWellKnown, out problem);

    private static string? FindKamailioModules(out string? problem)
    {
        foreach (string candidate in KamailioModuleDirectories)
        {
            if (File.Exists(Path.Combine(candidate, "tm.so")))
            {
                problem = null;
                return candidate;
            }
        }

        problem = "Kamailio's modules (tm.so) were not found in any of: " + string.Join(", ", KamailioModuleDirectories);
        return null;
    }

    private static string? Find(string name, string overrideVariable, string[] wellKnown, out string? problem)
    {
        string? configured = Environment.GetEnvironmentVariable(overrideVariable);
        if (!string.IsNullOrEmpty(configured))
        {
            if (File.Exists(configured))
            {
                problem = null;
                return configured;
            }

            problem = $"'{name}' was not found at {configured} ({overrideVariable})";
            return null;
        }

        foreach (string directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(directory, name);
            if (File.Exists(candidate))
            {
                problem = null;
                return candidate;
            }
        }

        foreach (string candidate in wellKnown)
        {
            if (File.Exists(candidate))
            {
                problem = null;
                return candidate;
            }
        }

        problem = $"'{name}' was not found on PATH or in {string.Join(", ", wellKnown)}";
        return null;
    }
}
