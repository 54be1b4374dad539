using System.Diagnostics;

namespace Chat.Bench;

internal static class Repo
{
    /// <summary>True when the command line asked for the results to be kept (<c>--save</c>).</summary>
    public static bool Save { get; set; }

    /// <summary>
    /// Writes <c>bench/results/{name}</c> when the run was started with <c>--save</c>; otherwise the report is only printed,
    /// so a bench run from a test leaves the working tree as it was.
    /// </summary>
    public static async Task SaveResultAsync(string name, string text)
    {
        if (!Save)
        {
            Console.WriteLine($"(bench/results/{name} not written: add --save to keep this run's results)");
            return;
        }
        var path = RepoPaths.Combine("bench", "results", name);
        await File.WriteAllTextAsync(path, text);
        Console.WriteLine($"wrote {path}");
    }

    /// <summary>The output of <c>git {arguments}</c> in the repository (for the commit a result was measured at).</summary>
    public static string Git(string arguments)
    {
        using var git = Process.Start(new ProcessStartInfo("git", arguments) { RedirectStandardOutput = true, WorkingDirectory = RepoPaths.Root })!;
        var output = git.StandardOutput.ReadToEnd().Trim();
        git.WaitForExit();
        return output;
    }
}
