using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Chat.Bench;

/// <summary>
/// CPU seconds used by every process on the machine during a window, grouped by program (from <c>/proc/&lt;pid&gt;/stat</c>),
/// so a benchmark can say where the cycles went, not only how fast it was.
/// </summary>
internal sealed class CpuAccount
{
    private static readonly double TicksPerSecond = 100; // USER_HZ on Linux
    private readonly Dictionary<int, (string Program, long Ticks)> _start = Snapshot();
    private readonly DateTime _startedAt = DateTime.UtcNow;

    /// <summary>
    /// CPU seconds per program since this account was opened, largest first, and the window's length; programs that used
    /// less than <paramref name="minimumSeconds"/> are left out (a sum over windows passes 0 so that small ones count).
    /// </summary>
    public (IReadOnlyList<(string Program, double Seconds)> Programs, double WallSeconds) Close(double minimumSeconds = 0.05)
    {
        var end = Snapshot();
        var wall = (DateTime.UtcNow - _startedAt).TotalSeconds;
        var byProgram = new Dictionary<string, double>();
        foreach (var (pid, (program, ticks)) in end)
        {
            var before = _start.TryGetValue(pid, out var s) && s.Program == program ? s.Ticks : 0;
            byProgram[program] = byProgram.GetValueOrDefault(program) + (ticks - before) / TicksPerSecond;
        }
        return ([.. byProgram.Where(p => p.Value > 0 && p.Value >= minimumSeconds).OrderByDescending(p => p.Value).Select(p => (p.Key, p.Value))], wall);
    }

    /// <summary>One line: each program's share of the machine's cores during the window.</summary>
    public static string Describe((IReadOnlyList<(string Program, double Seconds)> Programs, double WallSeconds) window) =>
        string.Join(", ", window.Programs.Take(10).Select(p => string.Create(CultureInfo.InvariantCulture,
            $"{p.Program} {p.Seconds / window.WallSeconds:F2}")));

    /// <summary>Context switches on the whole machine since boot (<c>/proc/stat</c>'s <c>ctxt</c>).</summary>
    public static long ContextSwitches() =>
        long.Parse(File.ReadLines("/proc/stat").First(l => l.StartsWith("ctxt ", StringComparison.Ordinal))[5..], CultureInfo.InvariantCulture);

    /// <summary>
    /// Waits for the machine to be quiet before an AppHost starts: dirty pages written back (<c>sync</c>), then at least
    /// 90 % of both cores idle over two consecutive seconds (at most 60 s), so that the previous AppHost's teardown (its
    /// processes exiting, its data directories deleted) cannot overlap the next one's start and first runs. Returns how
    /// long it took (2 s, the shortest, before every AppHost of the 2026-12-03 15:25 full run).
    /// </summary>
    public static async Task<TimeSpan> SettleAsync()
    {
        var clock = Stopwatch.StartNew();
        Sync();
        var (busy, total) = Jiffies();
        for (var quiet = 0; quiet < 2 && clock.Elapsed < TimeSpan.FromSeconds(60);)
        {
            await Task.Delay(TimeSpan.FromSeconds(1)); // polling /proc/stat: the machine raises no event when it goes idle
            var (nowBusy, nowTotal) = Jiffies();
            quiet = nowTotal > total && (double)(nowBusy - busy) / (nowTotal - total) <= 0.1 ? quiet + 1 : 0;
            (busy, total) = (nowBusy, nowTotal);
        }
        return clock.Elapsed;
    }

    /// <summary>The machine's busy and total CPU time since boot, in ticks (<c>/proc/stat</c>'s first line; idle and iowait are not busy).</summary>
    private static (long Busy, long Total) Jiffies()
    {
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..]
            .Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
        var total = fields.Take(8).Sum(); // user nice system idle iowait irq softirq steal (guest time is inside user)
        return (total - fields[3] - fields[4], total);
    }

    [DllImport("libc", EntryPoint = "sync")]
    private static extern void Sync();

    private static Dictionary<int, (string, long)> Snapshot()
    {
        var result = new Dictionary<int, (string, long)>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
                result[pid] = (Program(dir, stat), ticks);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
            {
                // the process ended while it was read
            }
        }
        return result;
    }

    /// <summary>The program's name: a .NET app by its assembly (the dashboard, the services), otherwise the executable.</summary>
    private static string Program(string dir, string stat)
    {
        var comm = stat[(stat.IndexOf('(') + 1)..stat.LastIndexOf(')')];
        try
        {
            var args = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0', StringSplitOptions.RemoveEmptyEntries);
            // Postgres backends rewrite their command line ("postgres: user db host state"): keep the program's name.
            var exe = args.FirstOrDefault() is { } first ? Path.GetFileName(first.Split([':', ' '])[0]) : comm;
            if (exe == "dotnet" && args.Skip(1).FirstOrDefault(a => a.EndsWith(".dll", StringComparison.Ordinal)) is { } dll)
            {
                return Path.GetFileNameWithoutExtension(dll);
            }
            return exe.Length > 0 ? exe : comm;
        }
        catch (IOException)
        {
            return comm;
        }
    }
}
