namespace SipTraceContext.Interop.Tests.Infrastructure;

/// <summary>Finds the external programs the interoperability tests run.</summary>
internal static class InteropTools
{
    public const string SkipVariable = "SIPTRACECONTEXT_SKIP_INTEROP";

    private const string InstallHint =
        "Install it with: sudo apt-get install -y --no-install-recommends kamailio sip-tester " +
        "(.ci/run does this from .ci/apt-packages), or set " + SkipVariable + "=1 to skip the interoperability tests.";

    public static bool SkipRequested => Environment.GetEnvironmentVariable(SkipVariable) == "1";

    public static string Kamailio => Find("kamailio", "/usr/sbin/kamailio", "/usr/local/sbin/kamailio");

    public static string Sipp => Find("sipp", "/usr/bin/sipp", "/usr/local/bin/sipp");

    /// <summary>The module directory of the installed Kamailio (Debian's multiarch path first).</summary>
    public static string KamailioModules
    {
        get
        {
            string[] candidates =
            [
                "/usr/lib/x86_64-linux-gnu/kamailio/modules",
                "/usr/lib/aarch64-linux-gnu/kamailio/modules",
                "/usr/lib64/kamailio/modules",
                "/usr/lib/kamailio/modules",
                "/usr/local/lib64/kamailio/modules",
                "/usr/local/lib/kamailio/modules",
            ];
            foreach (string candidate in candidates)
            {
                if (File.Exists(Path.Combine(candidate, "tm.so")))
                {
                    return candidate;
                }
            }

            throw new InvalidOperationException("Kamailio's modules (tm.so) were not found in any of: " + string.Join(", ", candidates) + ". " + InstallHint);
        }
    }

    private static string Find(string name, params string[] wellKnown)
    {
        foreach (string directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(directory, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        foreach (string candidate in wellKnown)
        {
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException($"'{name}' was not found on PATH or in {string.Join(", ", wellKnown)}. {InstallHint}");
    }
}
