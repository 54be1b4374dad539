using System.Diagnostics;

namespace ChatAspire.Testing;

/// <summary>Runs Prometheus' <c>promtool</c> (Debian package <c>prometheus</c>; CI installs it).</summary>
public static class Promtool
{
    public static async Task<(int ExitCode, string Output)> RunAsync(string[] args, string? stdin = null, string? workingDirectory = null)
    {
        var psi = new ProcessStartInfo("promtool")
        {
            RedirectStandardInput = stdin is not null,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("promtool could not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
        }
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }
}
