using System.Diagnostics;

namespace ChatAspire.Tests.Infrastructure;

/// <summary>Runs the bench (bench/Chat.Bench, built with the solution) as a person would, without --save: the tree stays as it is.</summary>
public static class BenchRun
{
    /// <summary>The bench's output lines and exit code.</summary>
    public static async Task<(string[] Lines, int ExitCode)> RunAsync(TimeSpan timeout, params string[] args)
    {
        var bench = RepoPaths.Combine("bench", "Chat.Bench", "bin", RepoPaths.Configuration, "net10.0", "Chat.Bench.dll");
        Assert.True(File.Exists(bench), $"{bench} is built with the solution");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepoPaths.Root };
        foreach (var arg in (string[])[bench, .. args])
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        var output = new List<string>();
        process.OutputDataReceived += (_, e) => { if (e.Data is { } line) { lock (output) { output.Add(line); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is { } line) { lock (output) { output.Add(line); } } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        process.WaitForExit(); // the output is complete
        lock (output)
        {
            return ([.. output], process.ExitCode);
        }
    }
}
