using System.Runtime.InteropServices;

namespace Chat.RagService.Retrieval;

/// <summary>
/// Lowers the calling thread's scheduling priority (nice 10, as <c>nice</c> would start a batch job), for the model's
/// ingestion threads: a document's embedding keeps every core busy for about a second, and at normal priority it took
/// those cores from the chat beside it, so the API's sends waited and its garbage collections, which need their threads
/// scheduled, stretched from milliseconds to 150–200 ms (measured in the soak, bench/results/soak.md). At nice 10 the
/// scheduler gives the model whatever CPU the rest leaves, which is all of it on an idle machine. Linux only (.NET's
/// <see cref="Thread.Priority"/> does nothing there); elsewhere a no-op. Lowering a priority needs no privilege.
/// </summary>
public static partial class BackgroundPriority
{
    public const int Nice = 10;
    private const int PrioProcess = 0; // PRIO_PROCESS: on Linux, with a thread id, that one thread

    /// <summary>
    /// True when the calling thread now runs at <see cref="Nice"/> or lower still. Never raises a priority: a service
    /// started at a lower one (nice 19) stays there.
    /// </summary>
    public static bool LowerCurrentThread()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }
        var tid = GetThreadId();
        Marshal.SetLastPInvokeError(0);
        var current = GetPriority(PrioProcess, tid); // -1 is also a valid nice value: errno tells them apart
        if (Marshal.GetLastPInvokeError() == 0 && current >= Nice)
        {
            return true;
        }
        return SetPriority(PrioProcess, tid, Nice) == 0;
    }

    [LibraryImport("libc", EntryPoint = "getpriority", SetLastError = true)]
    private static partial int GetPriority(int which, int who);

    [LibraryImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    private static partial int SetPriority(int which, int who, int priority);

    [LibraryImport("libc", EntryPoint = "gettid")]
    private static partial int GetThreadId();
}
