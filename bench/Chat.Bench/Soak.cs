using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Aspire.Hosting.Testing;
using ChatAspire.Contracts;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;

namespace Chat.Bench;

/// <summary>
/// A steady mixed load for N minutes on the whole AppHost as shipped (OTLP to the dashboard, Prometheus scraping,
/// Information logs): 200 msg/s (reached over the first 30 s) over both API replicas from 40 well-behaved clients, a latency probe (a sender on one
/// replica, its reader on the other, 5 msg/s of those 200), 500 idle hub connections (50 people who are members of no
/// busy channel, 10 connections each: held with keep-alives, receiving nothing of the load), an upload every 10 s and a
/// question every 30 s. Watches the services' resident memory (summed), the probe's send→receive p99 per minute and
/// the longest GC pause (gc_pause_max_seconds, from the runtime's GC events), and counts every error a user would see.
///   dotnet run -c Release --project bench/Chat.Bench -- soak [--minutes 60] [--save]
/// Targets: memory growth (the first 10 minutes after a minute of warm-up against the last 10; half the rest each for
/// shorter runs) at most 10 %, last p99 at
/// most 1.2 x the first, no GC pause over 100 ms, no errors.
/// </summary>
internal static partial class Soak
{
    private const double Rate = 200;
    private const int IdleConnections = 500;
    private const int IdleUsers = 50;
    private const int WarmUpMinutes = 1;

    /// <summary>
    /// The load climbs to its rate over the first 30 s, as people arrive, instead of 195 msg/s from 540 connections in the
    /// same second. GC pauses are counted from the first message of the ramp.
    /// </summary>
    private static readonly TimeSpan RampUp = TimeSpan.FromSeconds(30);

    public static async Task<int> RunAsync(string[] args)
    {
        var minutes = args.SkipWhile(a => a != "--minutes").Skip(1).Select(a => int.Parse(a, CultureInfo.InvariantCulture)).FirstOrDefault(60);
        var environment = new Dictionary<string, string>
        {
            ["Messages__SendBurst"] = "10000",
            ["Messages__SendPerSecond"] = "10000",
            ["RequestLimits__PerUserPerMinute"] = "10000000", // a load tool, not a person
            ["RequestLimits__PerUserBurst"] = "1000000",
            ["Auth__AccessTokenLifetime"] = "1.00:00:00",
            ["Accounts__AuthRequestsPerMinute"] = "1000", // the set-up registers 90 people from one address
        };
        await using var app = await BenchApp.StartAsync(BenchApp.WithExtraEnvironment(environment), telemetry: true, [.. ResourceNames.Services]);
        var world = await DrillWorld.CreateAsync(app, clients: 40, channels: 8);
        var faults = new Faults(app);
        var pids = await faults.ServiceProcessesAsync();
        await using var probe = await LatencyProbe.StartAsync(app, world.ApiReplicaUrls);
        // Idle means idle: people connected but in no channel with traffic. (Extra connections of the 40 senders would each
        // receive their channel's messages: 500 of them multiplied the deliveries by 13, to 13,500 a second.)
        var idleUsers = new List<string>();
        for (var u = 0; u < IdleUsers; u++)
        {
            idleUsers.Add((await BenchApp.RegisterAsync(app, $"idle{u}")).Token);
        }
        var idle = new List<HubConnection>();
        for (var i = 0; i < IdleConnections; i++)
        {
            var hub = new HubConnectionBuilder().WithUrl(new Uri(world.ApiReplicaUrls[i % world.ApiReplicaUrls.Count], "/hubs/chat"), o =>
            {
                var token = idleUsers[i % idleUsers.Count];
                o.AccessTokenProvider = () => Task.FromResult<string?>(token);
                o.SkipNegotiation = true;
                o.Transports = HttpTransportType.WebSockets;
            }).Build();
            await hub.StartAsync();
            idle.Add(hub);
        }
        Console.WriteLine($"soak: {minutes} min; {Rate} msg/s over {world.Clients.Count} clients, {IdleConnections} idle connections, {pids.Count} service processes");

        var gcBefore = await GcPauseBucketsAsync(app, GcPauseBucket());
        var suspensionBefore = await GcPauseBucketsAsync(app, GcSuspensionBucket());
        using var stop = new CancellationTokenSource();
        var load = world.LoadAsync(Rate - LatencyProbe.PerSecond, stop.Token, RampUp);
        var probing = probe.RunAsync(stop.Token);
        var questions = new ConcurrentBag<Guid>();
        var documents = new ConcurrentBag<Guid>();
        var sideErrors = 0;
        var rss = new List<(double Minute, long Bytes)>();
        var byProcess = pids.ToDictionary(pid => pid, _ => new List<(double Minute, long Anon, long File)>());
        var clock = Stopwatch.StartNew();
        var next = TimeSpan.Zero;
        var tick = 0;
        while (clock.Elapsed < TimeSpan.FromMinutes(minutes))
        {
            try
            {
                if (tick % 10 == 0)
                {
                    documents.Add(await world.UploadAsync(DrillWorld.Document(30), "text/markdown", $"soak-{Guid.NewGuid():N}.md"));
                    rss.Add((clock.Elapsed.TotalMinutes, pids.Sum(ResidentBytes)));
                    foreach (var pid in pids)
                    {
                        var (anon, file) = ResidentSplit(pid);
                        byProcess[pid].Add((clock.Elapsed.TotalMinutes, anon, file));
                    }
                }
                if (tick % 30 == 0)
                {
                    questions.Add((await world.AskAsync()).QuestionId);
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                sideErrors++;
            }
            if (tick % 60 == 59)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"soak: minute {clock.Elapsed.TotalMinutes:F0}: rss {rss[^1].Bytes / 1048576.0:F0} MiB, probe p99 {probe.P99Of(probe.Minutes - 1):F1} ms, acked {world.Snapshot().Acked}"));
            }
            tick++;
            next += TimeSpan.FromSeconds(1);
            var wait = next - clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }
        }
        await stop.CancelAsync();
        await load;
        await probing;
        // The GC window ends with the load: the check below reads every channel's whole history through the API (hundreds
        // of thousands of messages in a burst), which is the bench's work, not the load's. Its pauses are printed apart.
        var gcAfter = await GcPauseBucketsAsync(app, GcPauseBucket());
        var suspensionAfter = await GcPauseBucketsAsync(app, GcSuspensionBucket());

        var dropped = idle.Count(h => h.State != HubConnectionState.Connected);
        foreach (var hub in idle)
        {
            await hub.DisposeAsync();
        }
        var verdict = await world.VerifyAsync();
        var (repliesNotOnce, documentsNotOnce) = await world.NotExactlyOnceAsync(questions, documents);
        var (maxGcPause, gcWhere) = LongestPauseBucket(gcBefore, gcAfter);
        var pauseCounts = PausesOver(gcBefore, gcAfter);
        var (maxSuspension, suspensionWhere) = LongestPauseBucket(suspensionBefore, suspensionAfter);
        var (maxCheckPause, checkWhere) = LongestPauseBucket(gcAfter, await GcPauseBucketsAsync(app, GcPauseBucket()));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"soak: GC pauses during the final check (reading every history back, after the load): longest ≤ {maxCheckPause * 1000:F0} ms in {checkWhere}"));

        // The first minute is warm-up (JIT, connection pools, the first GCs sizing the heaps): the first window starts after it,
        // so a slow start can neither hide growth nor excuse a slow end.
        var window = Math.Min(10.0, (minutes - WarmUpMinutes) / 2.0);
        var first = rss.Where(r => r.Minute >= WarmUpMinutes && r.Minute < WarmUpMinutes + window).Select(r => (double)r.Bytes).DefaultIfEmpty(double.NaN).Average();
        var last = rss.Where(r => r.Minute >= minutes - window).Select(r => (double)r.Bytes).DefaultIfEmpty(double.NaN).Average();
        var growth = (last / first - 1) * 100;
        var windowMinutes = (int)Math.Max(1, Math.Floor(window));
        // Where the growth is: each process's anonymous memory (heaps, native allocations) and file-backed pages (the
        // binaries, memory-mapped files such as the search index), first window against the last.
        var processRows = string.Join("\n", byProcess.Select(p =>
        {
            double Mean(Func<(double Minute, long Anon, long File), long> pick, bool early) => p.Value
                .Where(r => early ? r.Minute >= WarmUpMinutes && r.Minute < WarmUpMinutes + window : r.Minute >= minutes - window).Select(r => (double)pick(r)).DefaultIfEmpty(double.NaN).Average() / 1048576;
            return string.Create(CultureInfo.InvariantCulture,
                $"| {ProcessName(p.Key)} ({p.Key}) | {Mean(r => r.Anon, true):F0} → {Mean(r => r.Anon, false):F0} | {Mean(r => r.File, true):F0} → {Mean(r => r.File, false):F0} |");
        }));
        var p99First = probe.P99Over(WarmUpMinutes, WarmUpMinutes + windowMinutes);
        var p99Last = probe.P99Over(minutes - windowMinutes, minutes);
        var errors = world.Snapshot().UncleanRefusals + sideErrors + repliesNotOnce + documentsNotOnce + verdict.Lost + verdict.Duplicated + verdict.Gaps
            + dropped + probe.Lost;
        var summary = string.Create(CultureInfo.InvariantCulture,
            $"soak: {minutes} min, rss growth {growth:F1} %, p99 first {p99First:F0} ms last {p99Last:F0} ms, max gc pause {maxGcPause * 1000:F0} ms, errors {errors}");
        await Repo.SaveResultAsync("soak.md", string.Create(CultureInfo.InvariantCulture, $"""
            # Soak

            {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, commit {Repo.Git("rev-parse --short HEAD")}, {Environment.ProcessorCount} cores.
            Command: `dotnet run -c Release --project bench/Chat.Bench -- soak --minutes {minutes} --save`. Whole AppHost in Release as shipped
            (OTLP to the dashboard, Prometheus scraping, Information logs), local-process Postgres and Redis (ephemeral).
            Load: {Rate:F0} msg/s (reached over the first {RampUp.TotalSeconds:F0} s, linearly) over both API replicas ({world.Clients.Count} clients in {world.ChannelIds.Count} channels, plus a latency probe of
            {LatencyProbe.PerSecond} msg/s sent on one replica and read on the other), {IdleConnections} idle hub connections ({IdleUsers} people in no
            busy channel, {IdleConnections / IdleUsers} connections each), an upload every 10 s
            ({documents.Count}) and a question every 30 s ({questions.Count}).

            | measure | value | target |
            |---|---|---|
            | resident memory of the {pids.Count} service processes, minutes {WarmUpMinutes}–{WarmUpMinutes + window:F0} → last {window:F0} min | {first / 1048576:F0} → {last / 1048576:F0} MiB ({growth:+0.0;-0.0} %) | ≤ 10 % |
            | probe send→receive p99, minutes {WarmUpMinutes}–{WarmUpMinutes + windowMinutes} → last {windowMinutes} min | {p99First:F1} → {p99Last:F1} ms | last ≤ 1.2 × first |
            | longest GC pause of any service during the load (upper bound of the highest `gc_pause_duration_seconds` bucket that grew; {gcWhere}) | ≤ {maxGcPause * 1000:F0} ms | ≤ 100 ms |
            | GC pauses during the load, by service | {pauseCounts} | |
            | the longest suspension, the first part of a pause (until every managed thread had stopped; {suspensionWhere}) | ≤ {maxSuspension * 1000:F0} ms | |
            | errors: unclean hub refusals, failed uploads or questions, replies or documents not exactly once, lost / duplicated / gap messages, dropped idle connections, probe messages never received | {errors} | 0 |
            | messages acknowledged | {verdict.Acked} | |

            Resident memory by process, MiB, minutes {WarmUpMinutes}–{WarmUpMinutes + window:F0} → last {window:F0} min:

            | process | anonymous | file-backed |
            |---|---|---|
            {processRows}

            Probe p99 by minute (ms): {string.Join(", ", probe.P99ByMinute().Select(p => double.IsNaN(p) ? "none" : p.ToString("F0", CultureInfo.InvariantCulture)))}.

            Resident memory by sample (MiB): {string.Join(", ", rss.Select(r => (r.Bytes / 1048576).ToString(CultureInfo.InvariantCulture)))}.

            `{summary}`
            """));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"soak: longest GC pause in {gcWhere}; longest suspension ≤ {maxSuspension * 1000:F0} ms in {suspensionWhere}"));
        Console.WriteLine($"soak: GC pauses by service: {pauseCounts}");
        Console.WriteLine($"soak: resident memory by process, MiB (anonymous, file-backed), first → last window:\n{processRows}");
        Console.WriteLine(summary);
        await world.DisposeAsync();
        var ok = growth <= 10 && p99Last <= 1.2 * p99First && maxGcPause <= 0.1 && errors == 0;
        return ok ? 0 : 1;
    }

    private static long ResidentBytes(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static (long Anon, long File) ResidentSplit(int pid)
    {
        try
        {
            long Field(string name) => File.ReadLines($"/proc/{pid}/status").Where(l => l.StartsWith(name, StringComparison.Ordinal))
                .Select(l => long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024).FirstOrDefault();
            return (Field("RssAnon:"), Field("RssFile:") + Field("RssShmem:"));
        }
        catch (IOException)
        {
            return (0, 0);
        }
    }

    /// <summary>The service's entry assembly (<c>Chat.Api</c>, …) from the process's command line.</summary>
    private static string ProcessName(int pid)
    {
        try
        {
            var args = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries);
            var entry = Path.GetFileName(args.FirstOrDefault(a => a.EndsWith(".dll", StringComparison.Ordinal)) ?? args.FirstOrDefault() ?? "?");
            return entry.EndsWith(".dll", StringComparison.Ordinal) ? entry[..^4] : entry;
        }
        catch (IOException)
        {
            return "?";
        }
    }

    /// <summary>Every service instance's <c>gc_pause_duration_seconds</c> buckets (cumulative counts by upper bound), by instance and series (generation, kind).</summary>
    private static async Task<Dictionary<string, Dictionary<double, double>>> GcPauseBucketsAsync(Aspire.Hosting.DistributedApplication app, Regex histogram)
    {
        var result = new Dictionary<string, Dictionary<double, double>>();
        using var http = new HttpClient();
        foreach (var service in ResourceNames.Services)
        {
            foreach (var url in await ChatAppHost.ReplicaUrlsAsync(app, service))
            {
                var text = await http.GetStringAsync(new Uri(url, "/metrics"));
                // One histogram per generation and kind of collection: each its own series of buckets.
                foreach (Match m in histogram.Matches(text))
                {
                    var labels = string.Join(",", m.Groups[1].Value.Split(',').Where(l => !l.StartsWith("le=", StringComparison.Ordinal) && !l.StartsWith("otel_scope", StringComparison.Ordinal)));
                    var le = m.Groups[2].Value == "+Inf" ? double.PositiveInfinity : double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
                    var series = $"{service} {url.Port} {labels}";
                    if (!result.TryGetValue(series, out var buckets))
                    {
                        result[series] = buckets = [];
                    }
                    buckets[le] = double.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture);
                }
            }
        }
        return result;
    }

    /// <summary>The upper bound (seconds) of the highest bucket whose count grew between the snapshots, and where.</summary>
    /// <summary>Per service (all its instances and series): pauses in all, and those longer than 50 ms and 100 ms, during the load.</summary>
    private static string PausesOver(Dictionary<string, Dictionary<double, double>> before, Dictionary<string, Dictionary<double, double>> after)
    {
        var rows = new SortedDictionary<string, (double All, double Over50, double Over100)>(StringComparer.Ordinal);
        foreach (var (series, buckets) in after)
        {
            var earlier = before.GetValueOrDefault(series) ?? [];
            double Grown(double le) => buckets.GetValueOrDefault(le) - earlier.GetValueOrDefault(le);
            var all = Grown(double.PositiveInfinity);
            var service = series.Split(' ')[0];
            var row = rows.GetValueOrDefault(service);
            rows[service] = (row.All + all, row.Over50 + all - Grown(0.05), row.Over100 + all - Grown(0.1));
        }
        return string.Join("; ", rows.Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.Key} {r.Value.All:F0} pauses, {r.Value.Over50:F0} over 50 ms, {r.Value.Over100:F0} over 100 ms")));
    }

    private static (double Seconds, string Where) LongestPauseBucket(Dictionary<string, Dictionary<double, double>> before,
        Dictionary<string, Dictionary<double, double>> after)
    {
        var longest = (Seconds: 0.0, Where: "no pause");
        foreach (var (instance, buckets) in after)
        {
            var earlier = before.GetValueOrDefault(instance) ?? [];
            // Cumulative buckets: a pause of at most `le` raised the count of `le` and every higher bound; the smallest bound
            // above the longest pause is the lowest one whose growth equals the total growth.
            var total = buckets.GetValueOrDefault(double.PositiveInfinity) - earlier.GetValueOrDefault(double.PositiveInfinity);
            if (total <= 0)
            {
                continue;
            }
            var bound = buckets.Keys.Order().First(le => buckets[le] - earlier.GetValueOrDefault(le) >= total);
            if (bound > longest.Seconds)
            {
                longest = (bound, instance);
            }
        }
        return longest;
    }

    [GeneratedRegex(@"^gc_pause_duration_seconds_bucket\{([^}]*le=""([^""]+)""[^}]*)\} ([0-9.eE+-]+)", RegexOptions.Multiline)]
    private static partial Regex GcPauseBucket();

    [GeneratedRegex(@"^gc_suspension_duration_seconds_bucket\{([^}]*le=""([^""]+)""[^}]*)\} ([0-9.eE+-]+)", RegexOptions.Multiline)]
    private static partial Regex GcSuspensionBucket();

    /// <summary>A sender on one API replica and its reader on the other: send→receive latency through the backplane.</summary>
    private sealed class LatencyProbe : IAsyncDisposable
    {
        public const int PerSecond = 5;
        private readonly ConcurrentDictionary<Guid, long> _sent = new();
        private readonly ConcurrentDictionary<int, ConcurrentBag<double>> _byMinute = new();
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private HubConnection _sender = null!;
        private HubConnection _reader = null!;
        private Guid _channel;

        public int Minutes => (int)Math.Ceiling(_clock.Elapsed.TotalMinutes);
        public long Lost => _sent.Count;

        public static async Task<LatencyProbe> StartAsync(Aspire.Hosting.DistributedApplication app, IReadOnlyList<Uri> replicas)
        {
            var probe = new LatencyProbe();
            var sender = await BenchApp.RegisterAsync(app, "probe-s");
            var reader = await BenchApp.RegisterAsync(app, "probe-r");
            using var owner = World.Authorized(app.CreateHttpClient(ResourceNames.Api).BaseAddress!, sender.Token);
            var created = await (await owner.PostAsJsonAsync("/api/channels", new { name = $"probe-{Guid.NewGuid():N}", kind = "private" }))
                .EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonElement>();
            probe._channel = created.GetProperty("id").GetGuid();
            (await owner.PostAsJsonAsync($"/api/channels/{probe._channel}/members", new { userId = reader.Id })).EnsureSuccessStatusCode();
            probe._sender = Connect(replicas[0], sender.Token);
            probe._reader = Connect(replicas[^1], reader.Token);
            probe._reader.On<JsonElement>("MessageCreated", m =>
            {
                if (m.TryGetProperty("clientMessageId", out var id) && id.ValueKind == JsonValueKind.String && probe._sent.TryRemove(id.GetGuid(), out var at))
                {
                    var ms = Stopwatch.GetElapsedTime(at).TotalMilliseconds;
                    probe._byMinute.GetOrAdd((int)probe._clock.Elapsed.TotalMinutes, _ => []).Add(ms);
                }
            });
            await probe._sender.StartAsync();
            await probe._reader.StartAsync();
            return probe;
        }

        private static HubConnection Connect(Uri replica, string token) => new HubConnectionBuilder().WithUrl(new Uri(replica, "/hubs/chat"), o =>
        {
            o.AccessTokenProvider = () => Task.FromResult<string?>(token);
            o.SkipNegotiation = true;
            o.Transports = HttpTransportType.WebSockets;
        }).Build();

        public async Task RunAsync(CancellationToken stop)
        {
            _clock.Restart(); // minute 0 is the load's first minute, as in the soak's own clock
            var next = _clock.Elapsed;
            while (!stop.IsCancellationRequested)
            {
                var id = Guid.NewGuid();
                _sent[id] = Stopwatch.GetTimestamp();
                try
                {
                    await _sender.InvokeAsync<JsonElement>("SendMessage", _channel, new { content = "probe", clientMessageId = id }, CancellationToken.None);
                }
                catch (Exception ex) when (ex is Microsoft.AspNetCore.SignalR.HubException or InvalidOperationException)
                {
                    _sent.TryRemove(id, out _); // refused: counted by nobody; the world's clients count refusals
                }
                next += TimeSpan.FromMilliseconds(1000.0 / PerSecond);
                var wait = next - _clock.Elapsed;
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, CancellationToken.None);
                }
            }
            // Whatever is still on its way gets a moment before it counts as lost.
            var deadline = Stopwatch.StartNew();
            while (!_sent.IsEmpty && deadline.Elapsed < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(100, CancellationToken.None);
            }
        }

        /// <summary>The p99 of each minute, up to the last minute with probes (the run ends inside its last minute).</summary>
        public IEnumerable<double> P99ByMinute()
        {
            var values = Enumerable.Range(0, Minutes).Select(P99Of).ToList();
            while (values.Count > 0 && double.IsNaN(values[^1]))
            {
                values.RemoveAt(values.Count - 1);
            }
            return values;
        }

        public double P99Of(int minute) => P99(_byMinute.TryGetValue(minute, out var bag) ? [.. bag] : []);

        public double P99Over(int fromMinute, int toMinute) =>
            P99([.. Enumerable.Range(fromMinute, Math.Max(0, toMinute - fromMinute)).SelectMany(m => _byMinute.TryGetValue(m, out var bag) ? bag : [])]);

        private static double P99(double[] values)
        {
            if (values.Length == 0)
            {
                return double.NaN;
            }
            Array.Sort(values);
            return values[Math.Min(values.Length - 1, (int)Math.Ceiling(values.Length * 0.99) - 1)];
        }

        public async ValueTask DisposeAsync()
        {
            await _sender.DisposeAsync();
            await _reader.DisposeAsync();
        }
    }
}
