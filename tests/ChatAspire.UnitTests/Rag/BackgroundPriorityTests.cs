using System.Globalization;
using Chat.RagService.Retrieval;

namespace ChatAspire.UnitTests.Rag;

public sealed class BackgroundPriorityTests
{
    [Fact]
    public void The_model_thread_runs_at_nice_10_or_lower_and_the_threads_beside_it_keep_their_priority()
    {
        Assert.True(OperatingSystem.IsLinux(), "thread niceness is read from /proc (the suite runs on Linux)");
        var before = Nice(Environment.ProcessId); // 0 as a service starts, more under `nice`
        int? lowered = null;
        var thread = new Thread(() => lowered = BackgroundPriority.LowerCurrentThread() ? Nice(ThreadId()) : null);
        thread.Start();
        thread.Join();

        Assert.Equal(Math.Max(before, BackgroundPriority.Nice), lowered);
        Assert.Equal(before, Nice(Environment.ProcessId)); // the process's main thread: untouched
    }

    /// <summary>The calling thread's id, as /proc/thread-self names it.</summary>
    private static int ThreadId() =>
        int.Parse(Path.GetFileName(new DirectoryInfo("/proc/thread-self").ResolveLinkTarget(returnFinalTarget: true)!.FullName), CultureInfo.InvariantCulture);

    /// <summary>Field 19 of /proc/self/task/TID/stat (after the parenthesised command name, field 17 of the rest).</summary>
    private static int Nice(int tid)
    {
        var stat = File.ReadAllText($"/proc/self/task/{tid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(fields[16], CultureInfo.InvariantCulture);
    }
}
