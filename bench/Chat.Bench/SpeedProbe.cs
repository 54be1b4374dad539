using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Chat.Bench;

/// <summary>
/// How fast this machine runs a fixed piece of work right now: a background thread does the same small pass every
/// 500 ms (dependent integer arithmetic and loads from a 16 KiB ring) and records the CPU time the pass took, from the
/// thread's own CPU clock. Waiting for a core does not count, so the load under test does not lengthen a pass by taking
/// the cores. What does lengthen it is the machine running instructions more slowly: a virtual CPU paused or slowed by
/// its host (this VM reports no steal time). A benchmark reads the median pass of each measured run next to its result,
/// to tell a slow machine from a slow system. About 0.19 ms a pass on this machine; the thread lives as long as the process.
/// </summary>
internal sealed class SpeedProbe
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);
    private readonly int[] _ring;
    private readonly ProbeSamples _passes = new();

    public SpeedProbe()
    {
        // A single cycle through 4 Ki ints (16 KiB, inside the core's own first-level cache) in a shuffled order: the pass
        // measures the core, not the caches that the processes under test share, which would tie the probe to their load.
        const int size = 1 << 12;
        var order = Enumerable.Range(0, size).ToArray();
        new Random(7).Shuffle(order);
        _ring = new int[size];
        for (var i = 0; i < size; i++)
        {
            _ring[order[i]] = order[(i + 1) % size];
        }
        new Thread(Run) { IsBackground = true, Name = "speed probe" }.Start();
    }

    /// <summary>The median pass, in ms of CPU, since <paramref name="since"/> (a <see cref="ProbeSamples.Mark"/>); NaN without passes.</summary>
    public double MedianSince(long since) => _passes.MedianSince(since);

    private void Run()
    {
        Pass(); // compiled and cached before anything is recorded
        while (true)
        {
            Thread.Sleep(Interval);
            var start = ThreadCpuNanoseconds();
            Pass();
            _passes.Add((ThreadCpuNanoseconds() - start) / 1e6);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private int Pass()
    {
        var ring = _ring;
        var at = 0;
        var sum = 0u;
        for (var step = 0; step < 100_000; step++)
        {
            at = ring[at];
            sum = (sum * 2_654_435_761u) ^ (uint)at;
            sum ^= sum >> 13;
        }
        return (int)sum + at;
    }

    /// <summary>
    /// Time this thread has spent on a CPU, in ns, from <c>clock_gettime(CLOCK_THREAD_CPUTIME_ID)</c>. Not the thread's
    /// schedstat file: the kernel brings that up to date only when the thread is switched out, not while it runs.
    /// </summary>
    private static long ThreadCpuNanoseconds() =>
        ClockGetTime(ThreadCpuClock, out var now) == 0 ? now.Seconds * 1_000_000_000 + now.Nanoseconds : throw new InvalidOperationException("clock_gettime failed");

    private const int ThreadCpuClock = 3; // CLOCK_THREAD_CPUTIME_ID

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);
}
