using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Chat.Bench;

/// <summary>
/// How long the disk under Postgres takes to make a write durable right now: a background thread rewrites one 8 KiB
/// block of a file in the temporary directory (where the bench's throwaway Postgres keeps its data) every 500 ms and
/// times the write and its <c>fdatasync</c>, the call with which Postgres flushes its write-ahead log at each commit.
/// Every send waits for such a flush, so a slower disk slows the system without any program using more CPU; the
/// <see cref="SpeedProbe"/> cannot see that. A benchmark reads the median flush of each measured run next to its result.
/// Two small writes a second, beside Postgres's hundreds of flushes a second; the thread lives as long as the process.
/// </summary>
internal sealed class DiskProbe
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);
    private const int BlockSize = 8192;
    private readonly ProbeSamples _flushes = new();

    public DiskProbe() => new Thread(Run) { IsBackground = true, Name = "disk probe" }.Start();

    /// <summary>The median flush, in ms, since <paramref name="since"/> (a <see cref="ProbeSamples.Mark"/>); NaN without flushes.</summary>
    public double MedianSince(long since) => _flushes.MedianSince(since);

    private void Run()
    {
        var path = Path.Combine(Path.GetTempPath(), $"chat-bench-disk-probe-{Environment.ProcessId}");
        using var file = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite);
        File.Delete(path); // the open handle keeps the file until the process ends, however it ends
        var block = new byte[BlockSize];
        Flush(file, block); // the block allocated and on disk before anything is recorded, as a WAL segment is
        while (true)
        {
            Thread.Sleep(Interval);
            Random.Shared.NextBytes(block);
            var start = System.Diagnostics.Stopwatch.GetTimestamp();
            Flush(file, block);
            _flushes.Add(System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
    }

    private static void Flush(SafeFileHandle file, byte[] block)
    {
        RandomAccess.Write(file, block, fileOffset: 0);
        if (FDataSync((int)file.DangerousGetHandle()) != 0)
        {
            throw new IOException($"fdatasync failed ({Marshal.GetLastPInvokeError()})");
        }
    }

    [DllImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static extern int FDataSync(int fd);
}
