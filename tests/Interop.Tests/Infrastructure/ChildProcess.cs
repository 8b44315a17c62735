using System.Diagnostics;
using System.Text;

namespace SipTraceContext.Interop.Tests.Infrastructure;

/// <summary>
/// A program a test started: output captured, stopped by its PID (SIGTERM, then SIGKILL of the process
/// and its children by their PIDs) on <see cref="DisposeAsync"/>, whatever happened in the test.
/// </summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private static readonly TimeSpan GracePeriod = TimeSpan.FromSeconds(3);

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly Lock _outputGate = new();

    private ChildProcess(Process process)
    {
        _process = process;
    }

    public int Id => _process.Id;

    public string Name { get; private init; } = string.Empty;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>stdout and stderr as they arrived, interleaved.</summary>
    public string Output
    {
        get
        {
            lock (_outputGate)
            {
                return _output.ToString();
            }
        }
    }

    public static ChildProcess Start(string fileName, IEnumerable<string> arguments, string workingDirectory, Action<IDictionary<string, string?>>? environment = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        environment?.Invoke(info.Environment);

        var process = new Process { StartInfo = info };
        var child = new ChildProcess(process) { Name = Path.GetFileName(fileName) };
        process.OutputDataReceived += (_, e) => child.Append(e.Data);
        process.ErrorDataReceived += (_, e) => child.Append(e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException($"{fileName} did not start.");
        }

        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Waits for the program to end by itself; false when it is still running at the timeout.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancellation.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        bool stillRunning = false;
        int pid = 0;
        try
        {
            if (!_process.HasExited)
            {
                pid = _process.Id;

                // SIGTERM lets Kamailio stop its own children; SIGKILL of the tree is the fallback.
                SendTerminate(pid);
                if (!await WaitForExitAsync(GracePeriod).ConfigureAwait(false))
                {
                    _process.Kill(entireProcessTree: true);
                    stillRunning = !await WaitForExitAsync(GracePeriod).ConfigureAwait(false);
                }
            }
        }
        catch (InvalidOperationException)
        {
            // Never started or already reaped.
        }
        finally
        {
            _process.Dispose();
        }

        if (stillRunning)
        {
            throw new InvalidOperationException($"{Name} (pid {pid}) is still running after SIGTERM and SIGKILL.");
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_outputGate)
        {
            _output.AppendLine(line);
        }
    }

    private static void SendTerminate(int pid)
    {
        try
        {
            using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", pid.ToString(System.Globalization.CultureInfo.InvariantCulture) }, UseShellExecute = false });
            kill?.WaitForExit(2000);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // No kill(1): the SIGKILL fallback below still stops the process by its PID.
        }
    }
}
