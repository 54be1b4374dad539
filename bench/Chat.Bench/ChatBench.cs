using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.Testing;
using ChatAspire.Contracts;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Npgsql;

namespace Chat.Bench;

/// <summary>
/// Chat throughput, latency and capacity of the whole AppHost (Release, two API replicas) against the database floor
/// measured by pgbench in the same run:
/// 1. saturation: 40 clients in 8 channels of 5 members, each send awaiting its ack (closed loop) → persisted msg/s;
/// 2. pgbench: the SQL of one send (counter bump + read mark, client-id lookup, insert with every index, commit), one
///    transaction per message, same 40 clients, same 8-channel shape, same duration → the one-transaction floor;
/// 3. capacity: offered load ramped in 30 s steps (open loop, spread over the 40 clients) until two steps in a row fail →
///    the highest rate whose p99 send→receive latency stayed ≤ 100 ms (and whose sends all persisted);
/// 4. one public channel with 1,000 subscribed connections, 20 msg/s for 30 s → p99;
/// 5. on a second AppHost with OTLP export to the Aspire dashboard, Prometheus scraping and Information logs, 10,000 idle
///    WebSocket connections over both replicas for 2 minutes with keep-alives → dropped, memory per connection;
/// 6. the saturation run on fresh AppHosts without and with that telemetry, four counterbalanced rounds → telemetry
///    throughput ratio.
/// </summary>
internal static class ChatBench
{
    private const int Clients = 40;
    private const int Channels = 8;
    private static readonly TimeSpan Saturation = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(30);
    // The first 20 s run after a 10 s warm-up was 25-35 % slower than the next ones, with telemetry and without (JIT tiers,
    // pools, the dashboard's own start): 30 s passes that, and each side reports the median of three runs. With telemetry on,
    // the services' periodic work (exports, scrapes, probes) keeps tiering up for 10-15 minutes (chat-profile.md, "Telemetry,
    // sixth look"): BENCH_WARMUP_SECONDS lengthens the warm-up, to see whether a gap between two settings is that transient.
    private static readonly TimeSpan Warmup = TimeSpan.FromSeconds(PositiveSetting("BENCH_WARMUP_SECONDS", 30));
    /// <summary>Measured runs after each warm-up (BENCH_RUNS to change it, e.g. to watch a setting over minutes).</summary>
    private static readonly int SaturationRuns = PositiveSetting("BENCH_RUNS", 3);
    /// <summary>Rounds of the telemetry comparison, each one AppHost per side; even, so that each side goes first equally often.</summary>
    private const int TelemetryRounds = 4;
    private static readonly SpeedProbe Probe = new();
    private static readonly DiskProbe Disk = new();
    private const double SloMs = 100;

    /// <summary>A positive whole number from the environment variable <paramref name="name"/>, or <paramref name="fallback"/>.</summary>
    private static int PositiveSetting(string name, int fallback) =>
        int.TryParse(System.Environment.GetEnvironmentVariable(name), out var value) && value > 0 ? value : fallback;

    private static readonly Dictionary<string, string> Environment = new()
    {
        // Measure the system, not the per-user send limit; tokens outlive the run.
        ["Messages__SendBurst"] = "10000",
        ["Messages__SendPerSecond"] = "10000",
        ["RequestLimits__PerUserPerMinute"] = "10000000", // a load tool, not a person
        ["RequestLimits__PerUserBurst"] = "1000000",
        ["Auth__AccessTokenLifetime"] = "02:00:00",
    };

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Contains("--telemetry"))
        {
            return await TelemetryOnlyAsync();
        }
        if (args.Contains("--cost"))
        {
            return await CostAsync();
        }
        if (args.Contains("--compare"))
        {
            return await CompareAsync();
        }
        if (args.Contains("--capacity"))
        {
            return await CapacityCompareAsync();
        }
        if (args.Contains("--fanout"))
        {
            await using var app = await BenchApp.StartAsync(BenchApp.WithExtraEnvironment(Environment), ResourceNames.Api);
            var world = await World.CreateAsync(app, Clients, Channels);
            await world.ClosedLoopAsync(Warmup);
            for (var run = 0; run < 3; run++)
            {
                var before = await GcPausesAsync(world.Replicas);
                Console.WriteLine($"1000 subscribers at 20 msg/s: {await world.BigChannelAsync(subscribers: 1000, rate: 20, Step)}");
                var after = await GcPausesAsync(world.Replicas);
                Console.WriteLine($"  replica GC pauses: {string.Join(", ", after.Zip(before, (a, b) => $"{(a - b) * 1000:F0} ms"))}");
            }
            return 0;
        }
        if (args.Contains("--saturation"))
        {
            // Only the headline ratio: the saturation runs and pgbench on one AppHost (telemetry off), as in the full run.
            await using var app = await BenchApp.StartAsync(Environment, ResourceNames.Api);
            var world = await World.CreateAsync(app, Clients, Channels);
            var side = await SaturateAsync(world, "saturation");
            var pg = await PgBench.RunAsync(app, world, Clients, Saturation);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"chat-bench saturation: persisted {side.Median.PersistedPerSecond:F0} msg/s; pgbench {pg:F0} tx/s; ratio {side.Median.PersistedPerSecond / pg:F2}"));
            await world.DisposeAsync();
            return 0;
        }
        var quick = args.Contains("--quick");
        var idleConnections = quick ? 2000 : 10_000;
        var idleHold = quick ? TimeSpan.FromSeconds(30) : TimeSpan.FromMinutes(2);
        var rows = new List<string>();
        var started = DateTime.UtcNow;

        // Telemetry off: no OTLP export, no Prometheus, Warning logs.
        Side saturationSide;
        double pgbench;
        List<(double Offered, Stats Stats)> ramp = [];
        Stats fanout1000;
        var fanoutDetail = "";
        (int Dropped, double BytesPerConnection, int Connected) idle;
        await using (var app = await BenchApp.StartAsync(Environment, ResourceNames.Api))
        {
            var world = await World.CreateAsync(app, Clients, Channels);
            Console.WriteLine($"AppHost up (telemetry off); {Clients} clients in {Channels} channels of {Clients / Channels}");
            saturationSide = await SaturateAsync(world, "saturation");
            pgbench = await PgBench.RunAsync(app, world, Clients, Saturation);
            Console.WriteLine($"pgbench: {pgbench:F0} tx/s");

            // 100 msg/s apart up to 800, where a slow machine's capacity lies; wider above. The capacity is the highest step
            // that held, so one failed step does not end the ramp: Postgres's first timed checkpoint (5 min after it starts)
            // lands in the ramp and can push one step's p99 over the line (600 msg/s: 215 ms, 2026-12-03 15:21) with
            // every step above it holding. Two failed steps in a row end it.
            double[] steps = quick ? [200, 600, 1200] : [100, 200, 300, 400, 500, 600, 700, 800, 1000, 1200, 1500, 2000, 2500, 3000];
            var failedInARow = 0;
            foreach (var offered in steps)
            {
                var stats = await world.OpenLoopAsync(offered, quick ? TimeSpan.FromSeconds(10) : Step);
                ramp.Add((offered, stats));
                Console.WriteLine($"offered {offered}/s: {stats}");
                failedInARow = stats.Holds(offered) ? 0 : failedInARow + 1;
                if (failedInARow == 2)
                {
                    break;
                }
            }
            fanout1000 = await world.BigChannelAsync(subscribers: 1000, rate: 20, quick ? TimeSpan.FromSeconds(10) : Step);
            Console.WriteLine($"1000 subscribers at 20 msg/s: {fanout1000}");
            fanoutDetail = world.FanoutDetail;
            await world.DisposeAsync();
        }

        // The idle connections, held as a person runs the system: OTLP export, Prometheus scraping, Information logs.
        await using (var app = await BenchApp.StartAsync(Environment, telemetry: true, ResourceNames.Api))
        {
            var world = await World.CreateAsync(app, Clients, Channels);
            await world.DisposeAsync();
            idle = await IdleConnections.RunAsync(app, world.Users, idleConnections, idleHold);
            Console.WriteLine($"idle: {idle.Connected} connected, {idle.Dropped} dropped, {idle.BytesPerConnection / 1024:F1} KiB per connection");
        }

        // Telemetry off against on, each side on a fresh AppHost, in counterbalanced rounds (off on | on off | off on | on off):
        // between AppHosts this machine's saturation varies by about ±10 %, as much as what is measured. An even number of
        // rounds puts each side first and second equally often, which cancels both a steady drift and any effect of
        // following another AppHost. The AppHost of the sections above is not one of them: it is the first of the process,
        // and it has often run fastest of its run (chat-profile.md, "Telemetry, ninth look" and "tenth look").
        List<Side> off = [], on = [];
        for (var round = 1; round <= (quick ? 1 : TelemetryRounds); round++)
        {
            foreach (var telemetry in CounterbalancedOrder(round, false, true))
            {
                (telemetry ? on : off).Add(await SaturateFreshAsync(Environment, telemetry, $"round {round}, telemetry {(telemetry ? "on" : "off")}"));
            }
        }

        var capacity = ramp.Where(r => r.Stats.Holds(r.Offered)).Select(r => r.Offered).DefaultIfEmpty(0).Max();
        var saturation = saturationSide.Median;
        var ratio = saturation.PersistedPerSecond / pgbench;
        var telemetryRatio = on.Average(s => s.Median.PersistedPerSecond) / off.Average(s => s.Median.PersistedPerSecond);
        var probed = off.Concat(on).SelectMany(s => s.Runs).ToList();
        var probe = (Low: probed.Min(r => r.ProbeMs), High: probed.Max(r => r.ProbeMs));
        var disk = (Low: probed.Min(r => r.DiskMs), High: probed.Max(r => r.DiskMs));
        var p99Ratio = on.Average(s => s.Median.P99) / off.Average(s => s.Median.P99);
        var commit = Repo.Git("rev-parse --short HEAD");
        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture, $"""
            # Chat benchmark

            {started:yyyy-MM-dd HH:mm} UTC, commit {commit}{(Repo.Git("status --porcelain").Length > 0 ? " (with uncommitted changes)" : "")}, {System.Environment.ProcessorCount} cores, {System.Environment.OSVersion}, {Memory()}.
            Command: `dotnet run -c Release --project bench/Chat.Bench -- chat{(quick ? " --quick" : "")}`. Whole AppHost in Release, local-process
            mode (Postgres 15, Redis 7, Chat.Api ×2); the clients run in the same machine's bench process and connect to the
            two replicas directly, half each, over WebSockets with the JSON hub protocol. Every send carries a fresh
            `clientMessageId`; latency is send start → `MessageCreated` received by each member.

            ## Throughput against the database floor

            | measure | value |
            |---|---|
            | system, closed loop ({Clients} clients, {Channels} channels × {Clients / Channels} members; median of {SaturationRuns} runs of {Saturation.TotalSeconds:F0} s after {Warmup.TotalSeconds:F0} s of warm-up): persisted msg/s | {saturation.PersistedPerSecond:F0} |
            | deliveries/s | {saturation.DeliveriesPerSecond:F0} |
            | send→receive p50 / p95 / p99 | {saturation.P50:F1} / {saturation.P95:F1} / {saturation.P99:F1} ms |
            | pgbench, one transaction per send (same SQL, {Clients} clients, {Channels} channels, {Saturation.TotalSeconds:F0} s): tx/s | {pgbench:F0} |
            | **system / pgbench** | **{ratio:F2}** |

            ## Capacity: offered load in {Step.TotalSeconds:F0} s steps (open loop, {Channels} channels × {Clients / Channels} members)

            | offered msg/s | persisted msg/s | deliveries/s | p50 ms | p95 ms | p99 ms | holds p99 ≤ {SloMs:F0} ms |
            |---|---|---|---|---|---|---|
            """);
        foreach (var (offered, s) in ramp)
        {
            report.AppendLine(CultureInfo.InvariantCulture,
                $"| {offered:F0} | {s.PersistedPerSecond:F0} | {s.DeliveriesPerSecond:F0} | {s.P50:F1} | {s.P95:F1} | {s.P99:F1} | {(s.Holds(offered) ? "yes" : "no")} |");
        }
        report.AppendLine(CultureInfo.InvariantCulture, $"""

            **Capacity: {capacity:F0} msg/s** at p99 ≤ {SloMs:F0} ms (the highest step that held; the ramp ends after two failed steps in a row).

            ## One channel, 1,000 subscribers

            1,000 connections (40 users × 25) subscribed to one public channel, one member sending 20 msg/s for {(quick ? 10 : Step.TotalSeconds):F0} s
            after 10 s of the same load: {fanout1000.DeliveriesPerSecond:F0} deliveries/s, p50 {fanout1000.P50:F1} ms, p95 {fanout1000.P95:F1} ms, **p99 {fanout1000.P99:F1} ms**;
            {fanoutDetail}.

            ## Idle connections

            {idleConnections:N0} WebSocket hub connections, half on each replica, held {idleHold.TotalSeconds:F0} s with keep-alives
            (server pings every 15 s, client timeout 30 s): {idle.Connected:N0} connected, **{idle.Dropped} dropped**,
            {idle.BytesPerConnection / 1024:F1} KiB of replica memory (resident set) per connection.

            ## Telemetry cost

            The saturation run ({SaturationRuns} runs after the warm-up) on AppHosts started without telemetry (no OTLP
            export, no scraping, Warning logs) and as a person runs it (OTLP to the Aspire dashboard, Prometheus scraping at
            the AppHost's default 15 s, Information logs), each on a fresh AppHost, started in counterbalanced order (off then on,
            on then off, and again), so that each side goes first and second equally often and a steady drift of the machine's
            speed cancels out. Before each AppHost the bench waits for the machine to be quiet (dirty pages written back, the
            cores at least 90 % idle for two seconds).

            Next to each run, in brackets, the medians of two probes in the bench process, each taken every 500 ms. The
            first times the CPU that a fixed small computation takes (its own thread's CPU clock, so waiting for a core
            does not count): whether the machine itself ran instructions more slowly during a run; in this run it took
            {probe.Low:F3}–{probe.High:F3} ms. The second times an 8 KiB write and its `fdatasync` on the disk under
            Postgres, the flush that every commit waits for: whether the disk was slower; in this run {disk.Low:F2}–{disk.High:F2} ms.

            | round | off: msg/s of each run (cpu probe ms, disk flush ms) | off: p99 ms of the median run | on: msg/s of each run (cpu probe ms, disk flush ms) | on: p99 ms of the median run |
            |---|---|---|---|---|
            """);
        string Runs(Side side) => string.Join(", ", side.Runs.Select(r => string.Create(CultureInfo.InvariantCulture,
            $"{r.Stats.PersistedPerSecond:F0} ({r.ProbeMs:F3}, {r.DiskMs:F2})")));
        for (var round = 0; round < Math.Min(on.Count, off.Count); round++)
        {
            report.AppendLine(CultureInfo.InvariantCulture,
                $"| {round + 1} | {Runs(off[round])} | {off[round].Median.P99:F1} | {Runs(on[round])} | {on[round].Median.P99:F1} |");
        }
        report.AppendLine(CultureInfo.InvariantCulture, $"""

            **Telemetry on / off: throughput {telemetryRatio:F2}**, p99 {p99Ratio:F2} (means of the rounds' medians).
            """);
        await Repo.SaveResultAsync("chat-bench.md", report.ToString());
        Console.WriteLine(report);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"chat-bench: persisted {saturation.PersistedPerSecond:F0} msg/s; pgbench {pgbench:F0} tx/s; ratio {ratio:F2}; capacity {capacity:F0} msg/s at p99<=100ms; 1000-subscriber p99 {fanout1000.P99:F0} ms at 20 msg/s; idle {idleConnections} conns {idle.Dropped} dropped; telemetry throughput ratio {telemetryRatio:F2}"));
        return 0;
    }

    /// <summary>
    /// The closed loop after a warm-up, <see cref="SaturationRuns"/> times, each run with the machine's speed meanwhile
    /// (<see cref="SpeedProbe"/>'s median pass) and the disk's (<see cref="DiskProbe"/>'s median flush).
    /// </summary>
    private static async Task<Side> SaturateAsync(World world, string name)
    {
        await world.ClosedLoopAsync(Warmup); // JIT tiers and pools settle before anything is measured
        var runs = new List<(Stats, double, double)>();
        for (var run = 0; run < SaturationRuns; run++)
        {
            var cpu = new CpuAccount();
            var since = ProbeSamples.Mark();
            var switches = CpuAccount.ContextSwitches();
            var stats = await world.ClosedLoopAsync(Saturation);
            var perMessage = (CpuAccount.ContextSwitches() - switches) / (stats.PersistedPerSecond * Saturation.TotalSeconds);
            var probe = Probe.MedianSince(since);
            var flush = Disk.MedianSince(since);
            runs.Add((stats, probe, flush));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name} run {run + 1}: {stats}; probe {probe:F3} ms; disk flush {flush:F2} ms; {perMessage:F1} context switches per message"));
            Console.WriteLine($"  cpu (cores): {CpuAccount.Describe(cpu.Close())}");
        }
        return new Side(runs);
    }

    /// <summary>
    /// Only the telemetry cost, alternating AppHosts without and with telemetry (four counterbalanced rounds of <see cref="SaturateAsync"/>),
    /// with every program's CPU share during each run: `chat --telemetry`.
    /// </summary>
    private static Task<int> TelemetryOnlyAsync()
    {
        var environment = BenchApp.WithExtraEnvironment(Environment);
        return AlternateAsync("telemetry throughput ratio", ("telemetry off", environment, false), ("telemetry on", environment, true));
    }

    /// <summary>
    /// What telemetry costs in CPU, at a fixed offered rate (BENCH_RATE msg/s, default 1,500, open loop) rather than at
    /// saturation: each side's CPU per message by program over <see cref="SaturationRuns"/> runs after the warm-up, on fresh
    /// AppHosts in counterbalanced rounds (BENCH_ROUNDS, default 2): `chat --cost`. At a fixed rate both sides do the same
    /// work per second, so the difference is telemetry's own, without the closed loop's feedback on batch sizes.
    /// </summary>
    private static async Task<int> CostAsync()
    {
        var rate = PositiveSetting("BENCH_RATE", 1500);
        var rounds = PositiveSetting("BENCH_ROUNDS", 2);
        var environment = BenchApp.WithExtraEnvironment(Environment);
        var seconds = new Dictionary<bool, Dictionary<string, double>> { [false] = [], [true] = [] };
        var messages = new Dictionary<bool, double> { [false] = 0, [true] = 0 };
        for (var round = 1; round <= rounds; round++)
        {
            foreach (var telemetry in CounterbalancedOrder(round, false, true))
            {
                await using var app = await BenchApp.StartAsync(environment, telemetry, ResourceNames.Api);
                var world = await World.CreateAsync(app, Clients, Channels);
                await world.ClosedLoopAsync(Warmup);
                for (var run = 0; run < SaturationRuns; run++)
                {
                    var cpu = new CpuAccount();
                    var stats = await world.OpenLoopAsync(rate, Saturation);
                    var window = cpu.Close(minimumSeconds: 0);
                    Console.WriteLine($"round {round}, telemetry {(telemetry ? "on" : "off")} run {run + 1}: {stats}");
                    Console.WriteLine($"  cpu (cores): {CpuAccount.Describe(window)}");
                    messages[telemetry] += stats.PersistedPerSecond * Saturation.TotalSeconds;
                    foreach (var (name, used) in window.Programs)
                    {
                        var program = name.StartsWith("kworker", StringComparison.Ordinal) ? "kworker (kernel)" : name;
                        seconds[telemetry][program] = seconds[telemetry].GetValueOrDefault(program) + used;
                    }
                }
                await world.DisposeAsync();
            }
        }
        double PerMessage(bool side, string program) => seconds[side].GetValueOrDefault(program) / messages[side] * 1e6;
        Console.WriteLine($"CPU per message at {rate} msg/s (µs), telemetry off / on / on - off:");
        foreach (var program in seconds[false].Keys.Union(seconds[true].Keys).OrderByDescending(p => PerMessage(true, p) + PerMessage(false, p)))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {program,-40} {PerMessage(false, program),8:F1} {PerMessage(true, program),8:F1} {PerMessage(true, program) - PerMessage(false, program),8:F1}"));
        }
        double Total(bool side) => seconds[side].Values.Sum() / messages[side] * 1e6;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {"all programs",-40} {Total(false),8:F1} {Total(true),8:F1} {Total(true) - Total(false),8:F1}  (off / on: {Total(false) / Total(true):F3})"));
        return 0;
    }

    /// <summary>
    /// Two service settings at saturation, telemetry on as a person runs it: BENCH_SERVICE_ENV_A against BENCH_SERVICE_ENV,
    /// alternating AppHosts in four counterbalanced rounds: `chat --compare`.
    /// </summary>
    private static Task<int> CompareAsync() => AlternateAsync("B / A throughput ratio",
        ("A", BenchApp.WithExtraEnvironment(Environment, "BENCH_SERVICE_ENV_A"), true), ("B", BenchApp.WithExtraEnvironment(Environment), true));

    /// <summary>
    /// The offered-load steps around the capacity (400–1,500 msg/s, 100 apart up to 800, after the saturation warm-up), telemetry off as in the full
    /// run, for BENCH_SERVICE_ENV_A and then BENCH_SERVICE_ENV, each on a fresh AppHost: `chat --capacity`.
    /// </summary>
    private static async Task<int> CapacityCompareAsync()
    {
        foreach (var (name, variable) in new[] { ("A", "BENCH_SERVICE_ENV_A"), ("B", "BENCH_SERVICE_ENV") })
        {
            await using var app = await BenchApp.StartAsync(BenchApp.WithExtraEnvironment(Environment, variable), ResourceNames.Api);
            var world = await World.CreateAsync(app, Clients, Channels);
            await world.ClosedLoopAsync(Warmup);
            foreach (var offered in new double[] { 400, 500, 600, 700, 800, 1000, 1200, 1500 })
            {
                var stats = await world.OpenLoopAsync(offered, Step);
                Console.WriteLine($"{name} offered {offered}/s: {stats}");
                if (!stats.Holds(offered))
                {
                    break;
                }
            }
            await world.DisposeAsync();
        }
        return 0;
    }

    /// <summary>
    /// Two settings on fresh AppHosts, <see cref="TelemetryRounds"/> rounds (BENCH_ROUNDS to change it) in counterbalanced
    /// order (A B | B A | A B …) after a priming AppHost that is not counted, each round's ratio printed as it ends.
    /// </summary>
    private static async Task<int> AlternateAsync(string ratioName, (string Name, Dictionary<string, string> Environment, bool Telemetry) first,
        (string Name, Dictionary<string, string> Environment, bool Telemetry) second)
    {
        var rounds = PositiveSetting("BENCH_ROUNDS", TelemetryRounds);
        var results = new List<(Side First, Side Second)>();
        // The process's first AppHost has often run fastest of its run (chat-profile.md, "Telemetry, tenth look"): one with
        // the first side's settings primes the machine and is not counted.
        await SaturateFreshAsync(first.Environment, first.Telemetry, $"priming (not counted), {first.Name}");
        for (var round = 1; round <= rounds; round++)
        {
            var sides = new Dictionary<string, Side>();
            foreach (var side in CounterbalancedOrder(round, first, second))
            {
                sides[side.Name] = await SaturateFreshAsync(side.Environment, side.Telemetry, $"round {round}, {side.Name}");
            }
            results.Add((sides[first.Name], sides[second.Name]));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"round {round}: {ratioName} {results[^1].Second.Median.PersistedPerSecond / results[^1].First.Median.PersistedPerSecond:F2} (medians)"));
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{ratioName} (mean of the rounds' medians): {results.Average(r => r.Second.Median.PersistedPerSecond) / results.Average(r => r.First.Median.PersistedPerSecond):F2}"));
        return 0;
    }

    /// <summary>
    /// <see cref="SaturateAsync"/> on a fresh AppHost; with telemetry, also prints what its dashboard received meanwhile.
    /// </summary>
    private static async Task<Side> SaturateFreshAsync(Dictionary<string, string> environment, bool telemetry, string name)
    {
        await using var app = await BenchApp.StartAsync(environment, telemetry, ResourceNames.Api);
        var world = await World.CreateAsync(app, Clients, Channels);
        var since = DateTimeOffset.UtcNow;
        var side = await SaturateAsync(world, name);
        if (telemetry)
        {
            Console.WriteLine($"  telemetry received by the dashboard: {await BenchApp.TelemetryVolumeAsync(app, since)}");
        }
        await world.DisposeAsync();
        return side;
    }

    /// <summary>The two sides of a comparison in round <paramref name="round"/> (from 1): first then second in odd rounds, reversed in even ones.</summary>
    private static T[] CounterbalancedOrder<T>(int round, T first, T second) => round % 2 == 1 ? [first, second] : [second, first];

    private static async Task<double[]> GcPausesAsync(IReadOnlyList<Uri> replicas) => await Task.WhenAll(replicas.Select(async replica =>
    {
        using var http = new HttpClient { BaseAddress = replica };
        var lines = (await http.GetStringAsync("/metrics")).Split('\n');
        Console.WriteLine($"  {replica.Port}: {string.Join("; ", lines.Where(l => l.StartsWith("dotnet_gc_collections_total{", StringComparison.Ordinal)))}");
        var line = lines.FirstOrDefault(l => l.StartsWith("dotnet_gc_pause_time_seconds_total", StringComparison.Ordinal));
        return line is null ? double.NaN : double.Parse(line.Split(' ')[^1], CultureInfo.InvariantCulture);
    }));

    private static string Memory()
    {
        var line = File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal)) ?? "";
        return long.TryParse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries).ElementAtOrDefault(1), out var kb) ? $"{kb / 1024 / 1024.0:F0} GiB" : "? GiB";
    }
}

/// <summary>
/// One side of a comparison on one AppHost: each measured run, with the CPU probe's median pass and the disk probe's median
/// flush (ms) during it.
/// </summary>
internal sealed record Side(IReadOnlyList<(Stats Stats, double ProbeMs, double DiskMs)> Runs)
{
    /// <summary>The median run by persisted msg/s.</summary>
    public Stats Median => Runs.Select(r => r.Stats).OrderBy(s => s.PersistedPerSecond).ElementAt(Runs.Count / 2);
}

/// <summary>Latency and rate of one measured phase.</summary>
internal sealed record Stats(double PersistedPerSecond, double DeliveriesPerSecond, double P50, double P95, double P99, int Failed)
{
    public bool Holds(double offered) => P99 <= 100 && Failed == 0 && PersistedPerSecond >= 0.95 * offered;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"persisted {PersistedPerSecond:F0}/s, deliveries {DeliveriesPerSecond:F0}/s, p50 {P50:F1} ms, p95 {P95:F1} ms, p99 {P99:F1} ms, failed {Failed}");

    public static Stats From(int persisted, long deliveries, List<double> latencies, TimeSpan duration, int failed)
    {
        return new(persisted / duration.TotalSeconds, deliveries / duration.TotalSeconds, BenchApp.Percentile(latencies, 0.50),
            BenchApp.Percentile(latencies, 0.95), BenchApp.Percentile(latencies, 0.99), failed);
    }
}

/// <summary>Bench users, channels and connected clients, with the latency of every delivery recorded.</summary>
internal sealed class World : IAsyncDisposable
{
    private readonly ConcurrentDictionary<Guid, long> _sentAt = new();
    private readonly ConcurrentDictionary<Guid, (double First, double Last)> _spread = new();
    private readonly List<double> _latencies = [];
    private long _deliveries;

    public required DistributedApplication App { get; init; }
    public required IReadOnlyList<Uri> Replicas { get; init; }
    public required List<(Guid Id, string Token)> Users { get; init; }
    public required List<Guid> ChannelIds { get; init; }
    public List<HubConnection> Connections { get; } = [];

    /// <summary>The last <see cref="BigChannelAsync"/>'s spread: each message's first and last delivery.</summary>
    public string FanoutDetail { get; private set; } = "";

    public static async Task<World> CreateAsync(DistributedApplication app, int clients, int channels)
    {
        var api = app.CreateHttpClient(ResourceNames.Api);
        var users = new List<(Guid Id, string Token)>();
        for (var i = 0; i < clients; i++)
        {
            users.Add(await BenchApp.RegisterAsync(app, $"bench{i}"));
        }
        var channelIds = new List<Guid>();
        for (var c = 0; c < channels; c++)
        {
            using var owner = Authorized(api.BaseAddress!, users[c].Token);
            var created = await (await owner.PostAsJsonAsync("/api/channels", new { name = $"bench-{c}-{Guid.NewGuid():N}", kind = "private" }))
                .EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonElement>();
            channelIds.Add(created.GetProperty("id").GetGuid());
        }
        for (var i = channels; i < clients; i++)
        {
            using var owner = Authorized(api.BaseAddress!, users[i % channels].Token);
            (await owner.PostAsJsonAsync($"/api/channels/{channelIds[i % channels]}/members", new { userId = users[i].Id })).EnsureSuccessStatusCode();
        }
        var world = new World
        {
            App = app,
            Replicas = await ChatAppHost.ReplicaUrlsAsync(app, ResourceNames.Api),
            Users = users,
            ChannelIds = channelIds,
        };
        for (var i = 0; i < clients; i++)
        {
            var me = users[i].Id;
            var hub = world.Connect(users[i].Token, i);
            hub.On<Delivery>("MessageCreated", m => world.Received(m, me));
            await hub.StartAsync();
            world.Connections.Add(hub);
        }
        return world;
    }

    public HubConnection Connect(string token, int index) => Hub(Replicas[index % Replicas.Count], token);

    /// <summary>A hub connection as the contract asks of clients behind a proxy: WebSockets, no negotiation.</summary>
    public static HubConnection Hub(Uri baseAddress, string token) =>
        new HubConnectionBuilder().WithUrl(new Uri(baseAddress, "/hubs/chat"), o =>
        {
            o.AccessTokenProvider = () => Task.FromResult<string?>(token);
            o.SkipNegotiation = true;
            o.Transports = HttpTransportType.WebSockets;
        }).Build();

    /// <summary>
    /// The fields of <c>MessageCreated</c> the bench reads. A typed argument, not a <c>JsonElement</c>: the clients share the
    /// machine with the system they measure, and parsing every delivery into a document made the bench process pause for
    /// GC 2.5 s in each 30 s of the 1,000-subscriber run, delaying the deliveries it was timing.
    /// </summary>
    internal sealed record Delivery(Guid ChannelId, Guid? ClientMessageId, Guid SenderId);

    private void Received(Delivery message, Guid me)
    {
        var now = Stopwatch.GetTimestamp();
        if (message.ClientMessageId is not { } id || !_sentAt.TryGetValue(id, out var start))
        {
            return; // sent before this phase began
        }
        Interlocked.Increment(ref _deliveries);
        if (message.SenderId != me)
        {
            var ms = Stopwatch.GetElapsedTime(start, now).TotalMilliseconds;
            lock (_latencies)
            {
                _latencies.Add(ms);
            }
            _spread.AddOrUpdate(id, (ms, ms), (_, v) => (Math.Min(v.First, ms), Math.Max(v.Last, ms)));
        }
    }

    private void Reset()
    {
        _sentAt.Clear();
        _spread.Clear();
        lock (_latencies)
        {
            _latencies.Clear();
        }
        Interlocked.Exchange(ref _deliveries, 0);
    }

    private async Task<Stats> CollectAsync(int persisted, TimeSpan duration, int failed)
    {
        await Task.Delay(TimeSpan.FromSeconds(2)); // deliveries still in flight when the last ack came
        lock (_latencies)
        {
            return Stats.From(persisted, Interlocked.Read(ref _deliveries), [.. _latencies], duration, failed);
        }
    }

    private async Task<bool> SendAsync(int client, Guid channel, long scheduled)
    {
        var clientId = Guid.NewGuid();
        _sentAt[clientId] = scheduled;
        try
        {
            await Connections[client].InvokeAsync<JsonElement>("SendMessage", channel, new { content = $"bench message from {client}", clientMessageId = clientId });
            return true;
        }
        catch (Exception)
        {
            return false;
        }
    }

    /// <summary>Every client sends, awaits the ack, sends again, for <paramref name="duration"/>.</summary>
    public async Task<Stats> ClosedLoopAsync(TimeSpan duration)
    {
        Reset();
        var persisted = 0;
        var failed = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Connections.Count).Select(async i =>
        {
            while (clock.Elapsed < duration)
            {
                if (await SendAsync(i, ChannelIds[i % ChannelIds.Count], Stopwatch.GetTimestamp()))
                {
                    Interlocked.Increment(ref persisted);
                }
                else
                {
                    Interlocked.Increment(ref failed);
                }
            }
        }));
        return await CollectAsync(persisted, clock.Elapsed, failed);
    }

    /// <summary>
    /// Sends at <paramref name="rate"/> msg/s on a fixed schedule, round-robin over the clients, whatever the acks do
    /// (open loop: a slow system cannot slow the offered load, and latency counts from the scheduled time).
    /// </summary>
    public async Task<Stats> OpenLoopAsync(double rate, TimeSpan duration) =>
        await ScheduleAsync(rate, duration, n => (n % Connections.Count, ChannelIds[n % Connections.Count % ChannelIds.Count]));

    private async Task<Stats> ScheduleAsync(double rate, TimeSpan duration, Func<int, (int Client, Guid Channel)> pick)
    {
        Reset();
        var persisted = 0;
        var failed = 0;
        var inFlight = new List<Task>();
        var start = Stopwatch.GetTimestamp();
        var total = (int)(rate * duration.TotalSeconds);
        for (var n = 0; n < total; n++)
        {
            var due = start + (long)(n / rate * Stopwatch.Frequency);
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
            if (wait > TimeSpan.FromMilliseconds(1))
            {
                await Task.Delay(wait);
            }
            var (client, channel) = pick(n);
            inFlight.Add(Task.Run(async () =>
            {
                if (await SendAsync(client, channel, due))
                {
                    Interlocked.Increment(ref persisted);
                }
                else
                {
                    Interlocked.Increment(ref failed);
                }
            }));
        }
        await Task.WhenAll(inFlight).WaitAsync(TimeSpan.FromSeconds(60));
        return await CollectAsync(persisted, Stopwatch.GetElapsedTime(start), failed);
    }

    /// <summary>One public channel with <paramref name="subscribers"/> connections; one member sends at <paramref name="rate"/>.</summary>
    public async Task<Stats> BigChannelAsync(int subscribers, double rate, TimeSpan duration)
    {
        using var owner = Authorized(Replicas[0], Users[0].Token);
        var channel = (await (await owner.PostAsJsonAsync("/api/channels", new { name = $"big-{Guid.NewGuid():N}", kind = "public" }))
            .EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        var listeners = new List<HubConnection>();
        for (var batch = 0; batch < subscribers; batch += 50)
        {
            await Task.WhenAll(Enumerable.Range(batch, Math.Min(50, subscribers - batch)).Select(async i =>
            {
                var user = Users[i % Users.Count];
                var hub = Connect(user.Token, i);
                var me = Guid.Empty; // every delivery counts, the sender's own too (the sender is not among the listeners)
                hub.On<Delivery>("MessageCreated", m => { if (m.ChannelId == channel) { Received(m, me); } });
                await hub.StartAsync();
                await hub.InvokeAsync("Subscribe", channel);
                lock (listeners)
                {
                    listeners.Add(hub);
                }
            }));
        }
        // The first seconds of a 1,000-way fan-out run code no earlier phase ran (JIT tiers): 10 s of the same load first.
        await ScheduleAsync(rate, TimeSpan.FromSeconds(10), _ => (0, channel));
        Console.WriteLine($"{subscribers} subscribed; sending {rate}/s for {duration.TotalSeconds} s");
        var paused = GC.GetTotalPauseDuration();
        var stats = await ScheduleAsync(rate, duration, _ => (0, channel));
        var spread = _spread.Values.ToList();
        FanoutDetail = string.Create(CultureInfo.InvariantCulture,
            $"per message: first delivery p99 {BenchApp.Percentile(spread.ConvertAll(v => v.First), 0.99):F1} ms, last delivery p50 {BenchApp.Percentile(spread.ConvertAll(v => v.Last), 0.5):F1} / p99 {BenchApp.Percentile(spread.ConvertAll(v => v.Last), 0.99):F1} ms; the bench process (1,000 clients and the AppHost) paused for GC {(GC.GetTotalPauseDuration() - paused).TotalMilliseconds:F0} ms");
        Console.WriteLine($"  {FanoutDetail}");
        await Task.WhenAll(listeners.Select(l => l.DisposeAsync().AsTask()));
        return stats;
    }

    public static HttpClient Authorized(Uri baseAddress, string token)
    {
        var client = new HttpClient { BaseAddress = baseAddress };
        client.DefaultRequestHeaders.Authorization = new("Bearer", token);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(Connections.Select(c => c.DisposeAsync().AsTask()));
        Connections.Clear();
    }
}

/// <summary>pgbench on the system's own Postgres: the SQL of one send, one transaction per message.</summary>
internal static class PgBench
{
    public static async Task<double> RunAsync(DistributedApplication app, World world, int clients, TimeSpan duration)
    {
        var cs = new NpgsqlConnectionStringBuilder(await app.GetConnectionStringAsync(ResourceNames.ChatDb));
        // Fresh channels of the same shape (8 × 5 real members), so the system's own channels are left as they were.
        await using (var setup = new NpgsqlConnection(cs.ConnectionString))
        {
            await setup.OpenAsync();
            await using var create = new NpgsqlCommand("""
                DROP TABLE IF EXISTS bench_send_keys;
                CREATE TABLE bench_send_keys (k int PRIMARY KEY, channel_id uuid NOT NULL, user_id uuid NOT NULL);
                """, setup);
            await create.ExecuteNonQueryAsync();
            var channelIds = new List<Guid>();
            for (var c = 0; c < world.ChannelIds.Count; c++)
            {
                var id = Guid.CreateVersion7();
                await using var cmd = new NpgsqlCommand("""INSERT INTO channels ("Id","Name","Kind","LastSeq","AiMode","CreatedAt") VALUES ($1,$2,'private',0,false,now())""", setup);
                cmd.Parameters.AddWithValue(id);
                cmd.Parameters.AddWithValue($"pgbench-{id:N}");
                await cmd.ExecuteNonQueryAsync();
                channelIds.Add(id);
            }
            for (var k = 0; k < world.Users.Count; k++)
            {
                await using var cmd = new NpgsqlCommand("""
                    WITH member AS (INSERT INTO channel_members ("ChannelId","UserId","Role","LastReadSeq","JoinedAt") VALUES ($1,$2,'member',0,now()))
                    INSERT INTO bench_send_keys VALUES ($3,$1,$2)
                    """, setup);
                cmd.Parameters.AddWithValue(channelIds[k % channelIds.Count]);
                cmd.Parameters.AddWithValue(world.Users[k].Id);
                cmd.Parameters.AddWithValue(k);
                await cmd.ExecuteNonQueryAsync();
            }
        }
        // Chat.Api's send before group commit, statement for statement (one transaction per message; chat-profile.md, "Before").
        var script = Path.Combine(Path.GetTempPath(), $"chat-send-{Guid.NewGuid():N}.sql");
        await File.WriteAllTextAsync(script, $$"""
            \set k random(0, {{world.Users.Count - 1}})
            SELECT channel_id AS ch, user_id AS usr, gen_random_uuid() AS cid FROM bench_send_keys WHERE k = :k \gset
            BEGIN;
            WITH bump AS (UPDATE channels SET "LastSeq" = "LastSeq" + 1 WHERE "Id" = ':ch' RETURNING "LastSeq"), mark AS (UPDATE channel_members SET "LastReadSeq" = (SELECT "LastSeq" FROM bump) WHERE "ChannelId" = ':ch' AND "UserId" = ':usr') SELECT "LastSeq" AS seq FROM bump \gset
            SELECT m."Id", m."Content" FROM messages AS m WHERE m."ChannelId" = ':ch' AND m."SenderId" = ':usr' AND m."ClientMessageId" = ':cid' LIMIT 1;
            INSERT INTO messages ("Id", "Attachments", "ChannelId", "Citations", "ClientMessageId", "Content", "CreatedAt", "DeletedAt", "EditedAt", "ReplyToId", "SenderId", "Seq", "Type") VALUES (gen_random_uuid(), '{}', ':ch', NULL, ':cid', 'bench message from pgbench', now(), NULL, NULL, NULL, ':usr', :seq, 'user');
            COMMIT;
            """);
        var bin = Directory.GetDirectories("/usr/lib/postgresql").OrderDescending().Select(d => Path.Combine(d, "bin", "pgbench")).First(File.Exists);
        var start = new ProcessStartInfo(bin)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            ArgumentList = { "-n", "-f", script, "-c", clients.ToString(CultureInfo.InvariantCulture), "-j", "2", "-T", ((int)duration.TotalSeconds).ToString(CultureInfo.InvariantCulture),
                "-h", cs.Host!, "-p", cs.Port.ToString(CultureInfo.InvariantCulture), "-U", cs.Username ?? "postgres", cs.Database! },
        };
        if (cs.Password is { Length: > 0 } password)
        {
            start.Environment["PGPASSWORD"] = password;
        }
        using var process = Process.Start(start)!;
        var stdout = await process.StandardOutput.ReadToEndAsync();
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        File.Delete(script);
        var tps = stdout.Split('\n').FirstOrDefault(l => l.StartsWith("tps = ", StringComparison.Ordinal));
        if (process.ExitCode != 0 || tps is null)
        {
            throw new InvalidOperationException($"pgbench failed ({process.ExitCode}): {stdout}\n{stderr}");
        }
        return double.Parse(tps.Split(' ')[2], CultureInfo.InvariantCulture);
    }
}

/// <summary>Many idle hub connections held with keep-alives; counts drops and the replicas' memory per connection.</summary>
internal static class IdleConnections
{
    public static async Task<(int Dropped, double BytesPerConnection, int Connected)> RunAsync(
        DistributedApplication app, List<(Guid Id, string Token)> users, int count, TimeSpan hold)
    {
        var replicas = await ChatAppHost.ReplicaUrlsAsync(app, ResourceNames.Api);
        var before = await ResidentAsync(replicas);
        var dropped = 0;
        var connections = new HubConnection[count];
        for (var batch = 0; batch < count; batch += 100)
        {
            await Task.WhenAll(Enumerable.Range(batch, Math.Min(100, count - batch)).Select(async i =>
            {
                var token = users[i % users.Count].Token;
                var hub = World.Hub(replicas[i % replicas.Count], token);
                hub.Closed += _ => { Interlocked.Increment(ref dropped); return Task.CompletedTask; };
                await hub.StartAsync();
                connections[i] = hub;
            }));
        }
        GC.Collect();
        await Task.Delay(TimeSpan.FromSeconds(5));
        var after = await ResidentAsync(replicas);
        Console.WriteLine($"{count} idle connections open; holding {hold.TotalSeconds:F0} s");
        await Task.Delay(hold);
        var connected = connections.Count(c => c.State == HubConnectionState.Connected);
        var droppedDuringHold = Volatile.Read(ref dropped);
        foreach (var chunk in connections.Chunk(500))
        {
            await Task.WhenAll(chunk.Select(c => c.DisposeAsync().AsTask()));
        }
        return (droppedDuringHold, (after - before) / (double)count, connected);
    }

    private static async Task<long> ResidentAsync(IReadOnlyList<Uri> replicas)
    {
        long total = 0;
        foreach (var replica in replicas)
        {
            using var http = new HttpClient { BaseAddress = replica };
            var metrics = await http.GetStringAsync("/metrics");
            var line = metrics.Split('\n').First(l => l.StartsWith("process_resident_memory_bytes", StringComparison.Ordinal));
            total += (long)double.Parse(line.Split(' ')[^1], CultureInfo.InvariantCulture);
        }
        return total;
    }
}
