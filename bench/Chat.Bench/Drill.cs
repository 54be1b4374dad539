using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using ChatAspire.Contracts;
using Microsoft.Extensions.DependencyInjection;

namespace Chat.Bench;

/// <summary>
/// Fault drills: the whole AppHost under steady chat load (clients that follow docs/realtime.md: a fresh
/// clientMessageId per message, the same id on every retry, catch-up after every reconnect and on every gap), while
/// parts are killed and restarted in turn. At the end every acknowledged message must be stored exactly once with
/// gap-free seq, every client must hold the whole history, every assistant job must have exactly one reply, every
/// document must be ingested once, and every upload must be complete or absent.
///   dotnet run -c Release --project bench/Chat.Bench -- drill [--quick] [--rate 200]
/// </summary>
internal static partial class Drill
{
    public static async Task<int> RunAsync(string[] args)
    {
        var quick = args.Contains("--quick");
        var rate = args.SkipWhile(a => a != "--rate").Skip(1).Select(a => double.Parse(a, CultureInfo.InvariantCulture)).FirstOrDefault(200);
        var rounds = quick ? 1 : 5;
        var environment = new Dictionary<string, string>
        {
            ["Messages__SendBurst"] = "10000",
            ["Messages__SendPerSecond"] = "10000",
            ["RequestLimits__PerUserPerMinute"] = "10000000", // a load tool, not a person
            ["RequestLimits__PerUserBurst"] = "1000000",
            ["Auth__AccessTokenLifetime"] = "02:00:00",
        };
        // The AppHost's Prometheus scrapes every second with the repository's alert rules, their `for:` shortened to 2 s
        // (same expressions) so that a fault of seconds can show which alerts fire and resolve.
        await using var app = await BenchApp.StartAsync(environment, telemetry: false,
            ["--ChatAspire:Monitoring:ScrapeInterval=1s", $"--ChatAspire:Monitoring:RulesFile={AlertRules.ShortenedFile}"], [.. ResourceNames.Services, "prometheus"]);
        var faults = new Faults(app);
        var world = await DrillWorld.CreateAsync(app, clients: 40, channels: 8);
        Console.WriteLine($"drill: AppHost up; load {rate} msg/s over {world.Clients.Count} clients in {world.ChannelIds.Count} channels; {rounds} round(s)");
        using var load = new CancellationTokenSource();
        var loadTask = world.LoadAsync(rate, load.Token);
        await Task.Delay(TimeSpan.FromSeconds(5));

        var kinds = new (string Name, Func<Task<FaultReport>> Run)[]
        {
            ("api replica SIGKILL", () => faults.ApiKillAsync(world, graceful: false)),
            ("api replica SIGTERM", () => faults.ApiKillAsync(world, graceful: true)),
            ("ai worker killed mid-reply", () => faults.AiWorkerKillAsync(world)),
            ("rag killed mid-ingestion", () => faults.RagKillAsync(world)),
            ("files killed mid-upload", () => faults.FilesKillAsync(world)),
            ("redis killed", () => faults.InfraKillAsync(world, ResourceNames.Redis)),
            ("postgres killed", () => faults.InfraKillAsync(world, ResourceNames.Postgres)),
        };
        var reports = new List<FaultReport>();
        for (var round = 1; round <= rounds; round++)
        {
            foreach (var (name, run) in kinds)
            {
                var before = world.Snapshot();
                var report = await run();
                report = report with { Name = name, Round = round, Acked = world.Snapshot().Acked - before.Acked,
                    CleanRefusals = world.Snapshot().CleanRefusals - before.CleanRefusals, UncleanRefusals = world.Snapshot().UncleanRefusals - before.UncleanRefusals };
                reports.Add(report);
                Console.WriteLine($"drill: {report}");
            }
        }

        await load.CancelAsync();
        await loadTask;
        var verdict = await world.VerifyAsync();
        var maxResync = reports.Max(r => Math.Max(r.ResyncSeconds, r.FromFault - r.Outage));
        var summary = string.Create(CultureInfo.InvariantCulture,
            $"drill: {reports.Count} faults, acked {verdict.Acked}, lost {verdict.Lost}, duplicated {verdict.Duplicated}, gaps {verdict.Gaps}, max resync {maxResync:F1} s, unclean refusals {world.Snapshot().UncleanRefusals}, uploads half-written {reports.Sum(r => r.HalfWrittenUploads)}, ai replies not exactly once {reports.Sum(r => r.AiNotExactlyOnce)}, documents not exactly once {reports.Sum(r => r.DocumentsNotExactlyOnce)}, alerts missed {reports.Sum(r => r.AlertMissed)}");
        await WriteReportAsync(reports, verdict, summary, rate, quick, [.. world.UncleanSamples]);
        foreach (var sample in world.UncleanSamples)
        {
            Console.WriteLine($"drill: unclean refusal: {sample}");
        }
        Console.WriteLine(summary);
        var clean = verdict.Lost == 0 && verdict.Duplicated == 0 && verdict.Gaps == 0 && maxResync <= 10 && world.Snapshot().UncleanRefusals == 0
            && reports.All(r => r.HalfWrittenUploads == 0 && r.AiNotExactlyOnce == 0 && r.DocumentsNotExactlyOnce == 0 && r.AlertMissed == 0);
        await world.DisposeAsync();
        return clean ? 0 : 1;
    }

    private static async Task WriteReportAsync(List<FaultReport> reports, Verdict verdict, string summary, double rate, bool quick, string[] unclean)
    {
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"""
            # Fault drill

            {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, commit {Repo.Git("rev-parse --short HEAD")}, {System.Environment.ProcessorCount} cores.
            Command: `dotnet run -c Release --project bench/Chat.Bench -- drill{(quick ? " --quick" : "")}`. Whole AppHost in Release,
            local-process Postgres and Redis (ephemeral), {rate:F0} msg/s offered by 40 hub clients in 8 channels through the
            AppHost's proxy (both API replicas), every client following docs/realtime.md. Each fault: kill, wait 2 s,
            start again as an orchestrator would, wait until healthy. Outage: kill → healthy again. Resync from the kill:
            until every client holds its channel's history up to the last message acknowledged before the kill. Resync
            after recovery: from healthy again until every client holds everything acknowledged at that moment. The
            summary's "max resync" is the longest time any client was behind once the killed part was back.

            | round | fault | acked during | clean refusals | unclean | outage s | resync s from the kill | resync s after recovery | ready 503 → 200 | alerts (pending/firing → resolved) | ai not once | docs not once | uploads half-written | notes |
            |---|---|---|---|---|---|---|---|---|---|---|---|---|---|
            """);
        foreach (var r in reports)
        {
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.Round} | {r.Name} | {r.Acked} | {r.CleanRefusals} | {r.UncleanRefusals} | {r.Outage:F1} | {r.FromFault:F1} | {r.ResyncSeconds:F1} | {r.Readiness} | {r.Alerts} | {r.AiNotExactlyOnce} | {r.DocumentsNotExactlyOnce} | {r.HalfWrittenUploads} | {r.Notes} |");
        }
        md.AppendLine(CultureInfo.InvariantCulture, $"""

            Final check through the public API (`GET /api/channels/{"{id}"}/messages?after=`): {verdict.Acked} acknowledged sends,
            {verdict.Stored} messages stored, lost {verdict.Lost}, duplicated {verdict.Duplicated}, seq gaps {verdict.Gaps}.

            Unclean refusals (a hub error without a kind, or no answer within the client's 15 s): {(unclean.Length == 0 ? "none" : string.Join("; ", unclean.Select(u => $"`{u}`")))}.

            `{summary}`
            """);
        await Repo.SaveResultAsync("drill.md", md.ToString());
    }


    internal sealed record FaultReport(string Name, int Round, long Acked, long CleanRefusals, long UncleanRefusals, double ResyncSeconds, string Readiness,
        int AiNotExactlyOnce, int DocumentsNotExactlyOnce, int HalfWrittenUploads, string Notes)
    {
        /// <summary>Seconds from the kill until every client held everything acknowledged before it.</summary>
        public double FromFault { get; init; }

        /// <summary>Seconds from the kill until the resource was healthy again.</summary>
        public double Outage { get; init; }

        /// <summary>Alert rules seen pending or firing during the fault, and whether they had resolved 30 s after recovery.</summary>
        public string Alerts { get; init; } = "";

        /// <summary>1 when a dependency outage did not raise its DependencyUnhealthy alert.</summary>
        public int AlertMissed { get; init; }

        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"round {Round} {Name}: acked {Acked}, refusals {CleanRefusals} clean / {UncleanRefusals} unclean, outage {Outage:F1} s, resync {FromFault:F1} s from the kill / {ResyncSeconds:F1} s after recovery, ready {Readiness}, ai≠1 {AiNotExactlyOnce}, docs≠1 {DocumentsNotExactlyOnce}, half uploads {HalfWrittenUploads}, alerts {Alerts} {Notes}");
    }

    internal sealed record Verdict(long Acked, long Stored, long Lost, long Duplicated, long Gaps);

    [GeneratedRegex("HubException: (Invalid|Forbidden|NotFound|Conflict|RateLimited|Unavailable): ")]
    internal static partial Regex RefusalKind();
}

/// <summary>Kills and restarts the AppHost's resources the way an orchestrator would.</summary>
internal sealed class Faults(DistributedApplication app)
{
    private readonly ResourceCommandService _commands = app.Services.GetRequiredService<ResourceCommandService>();

    /// <summary>Kills one API replica (SIGKILL, or SIGTERM for a graceful stop), starts it again, measures resync.</summary>
    public async Task<Drill.FaultReport> ApiKillAsync(DrillWorld world, bool graceful)
    {
        var replicas = await ResourcesAsync(ResourceNames.Api);
        var victim = replicas[Random.Shared.Next(replicas.Count)];
        await CycleAsync(world, victim, graceful ? "TERM" : "KILL");
        var resync = await world.ResyncAsync();
        return Report(resync, "n/a (other replica served)", notes: graceful ? "graceful: in-flight sends completed, clients reconnected" : "");
    }

    /// <summary>
    /// Redis or Postgres killed: every service's readiness should go 503 and come back. A question and a document are in
    /// flight when it dies (Redis comes back empty in this ephemeral AppHost); each must still end exactly once, and the
    /// outage must raise DependencyUnhealthy for the dependency.
    /// </summary>
    public async Task<Drill.FaultReport> InfraKillAsync(DrillWorld world, string resource)
    {
        var victim = (await ResourcesAsync(resource)).Single();
        var watch = ReadinessWatch.Start(world.ApiReplicaUrls);
        var (_, questionId) = await world.AskAsync();
        var fileId = await world.UploadAsync(DrillWorld.Document(300), "text/markdown", $"inflight-{Guid.NewGuid():N}.md");
        await CycleAsync(world, victim, "KILL");
        foreach (var service in ResourceNames.Services)
        {
            await app.ResourceNotifications.WaitForResourceHealthyAsync(service).WaitAsync(TimeSpan.FromSeconds(90));
        }
        var resync = await world.ResyncAsync();
        var readiness = await watch.StopAsync();
        var replies = await world.RepliesToAsync(questionId, TimeSpan.FromSeconds(120));
        var document = await world.WaitForDocumentAsync(fileId, s => s is "ready" or "failed", TimeSpan.FromSeconds(180));
        var docsNotOnce = document == "ready" ? await world.DocumentNotExactlyOnceAsync(fileId) : 1;
        var check = resource == ResourceNames.Redis ? "redis" : "postgres";
        // A failed readiness probe, or (for an outage shorter than the 10 s between probes) Redis' lost connections.
        var alerted = _alerts.Contains($"DependencyUnhealthy({check})", StringComparison.Ordinal)
            || (resource == ResourceNames.Redis && _alerts.Contains("RedisConnectionLost", StringComparison.Ordinal));
        return Report(resync, readiness, aiNotOnce: replies == 1 ? 0 : 1, docsNotOnce: docsNotOnce, alertMissed: alerted ? 0 : 1,
            notes: $"in flight: a question (replies {replies}) and a document (ended {document}){(alerted ? "" : $"; no alert for {check}")}");
    }

    /// <summary>The AI worker killed while a reply streams; the replacement must post exactly one reply.</summary>
    public async Task<Drill.FaultReport> AiWorkerKillAsync(DrillWorld world)
    {
        var (jobId, questionId) = await world.AskAsync();
        var streaming = await world.WaitForDeltaAsync(jobId, TimeSpan.FromSeconds(30));
        var victim = (await ResourcesAsync(ResourceNames.AiWorker)).Single();
        await CycleAsync(world, victim, "KILL");
        var replies = await world.RepliesToAsync(questionId, TimeSpan.FromSeconds(90));
        var resync = await world.ResyncAsync();
        return Report(resync, "n/a", aiNotOnce: replies == 1 ? 0 : 1, notes: (streaming ? "killed while streaming" : "reply had not started streaming") + $"; replies {replies}");
    }

    /// <summary>The RAG service killed while it ingests; the document must end ready, once.</summary>
    public async Task<Drill.FaultReport> RagKillAsync(DrillWorld world)
    {
        // Long enough that ingestion is still running when the kill lands; a kill that misses it fails the round.
        var fileId = await world.UploadAsync(DrillWorld.Document(1000), "text/markdown", $"drill-{Guid.NewGuid():N}.md");
        var status = await world.WaitForDocumentAsync(fileId, s => s is "extracting" or "embedding" or "ready" or "failed", TimeSpan.FromSeconds(60));
        var victim = (await ResourcesAsync(ResourceNames.Rag)).Single();
        await CycleAsync(world, victim, "KILL");
        var final = await world.WaitForDocumentAsync(fileId, s => s is "ready" or "failed", TimeSpan.FromSeconds(240));
        var resync = await world.ResyncAsync();
        var missed = status is not ("extracting" or "embedding");
        var notOnce = missed || final != "ready" ? 1 : await world.DocumentNotExactlyOnceAsync(fileId);
        return Report(resync, "n/a", docsNotOnce: notOnce, notes: $"killed while {status}{(missed ? " (missed: not mid-ingestion)" : "")}; ended {final}");
    }

    /// <summary>Chat.Files killed while a file streams in; the upload must be complete or absent.</summary>
    public async Task<Drill.FaultReport> FilesKillAsync(DrillWorld world)
    {
        var before = await world.MyFilesAsync();
        var size = 12 * 1024 * 1024;
        var upload = world.SlowUploadAsync(size);
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        var victim = (await ResourcesAsync(ResourceNames.Files)).Single();
        await CycleAsync(world, victim, "KILL");
        var outcome = await upload;
        var after = await world.MyFilesAsync();
        var added = after.Where(f => !before.ContainsKey(f.Key)).ToList();
        var halfWritten = added.Count(f => f.Value != size);
        var resync = await world.ResyncAsync();
        return Report(resync, "n/a", halfWritten: halfWritten, notes: $"upload {outcome}; new files {added.Count}");
    }

    private Drill.FaultReport Report(double resync, string readiness, int aiNotOnce = 0, int docsNotOnce = 0, int halfWritten = 0, int alertMissed = 0,
        string notes = "") =>
        new("", 0, 0, 0, 0, resync, readiness, aiNotOnce, docsNotOnce, halfWritten, notes)
        {
            FromFault = _fromFault, Outage = _outage, Alerts = _alerts, AlertMissed = alertMissed,
        };

    private Dictionary<Guid, long> _atFault = [];
    private Stopwatch _sinceFault = new();
    private double _fromFault;
    private double _outage;

    /// <summary>Kills (or stops) a resource, waits 2 s, starts it again and waits until it is healthy; records the timings.</summary>
    private string _alerts = "";

    private async Task CycleAsync(DrillWorld world, (string Id, int Pid) victim, string signal)
    {
        using var alerts = new AlertWatch(app);
        _atFault = world.AckedSoFar();
        _sinceFault = Stopwatch.StartNew();
        var fromFault = world.ResyncAsync(_atFault, _sinceFault);
        await SignalAsync(victim.Pid, signal);
        await WaitStoppedAsync(victim.Id);
        await Task.Delay(TimeSpan.FromSeconds(2));
        await StartAsync(victim.Id);
        await WaitHealthyAsync(victim.Id);
        _outage = _sinceFault.Elapsed.TotalSeconds;
        _fromFault = await fromFault;
        _alerts = await alerts.StopAsync();
    }

    /// <summary>
    /// One step of a rolling upgrade: every instance of <paramref name="resource"/> in turn gets SIGTERM (it drains), is
    /// started again and must be healthy before the next; returns, per instance, how long any client was behind once it was back.
    /// </summary>
    public async Task<List<double>> RollAsync(DrillWorld world, string resource)
    {
        var resyncs = new List<double>();
        foreach (var victim in await ResourcesAsync(resource))
        {
            await CycleAsync(world, victim, "TERM");
            var resync = await world.ResyncAsync();
            resyncs.Add(Math.Max(resync, _fromFault - _outage));
        }
        return resyncs;
    }

    /// <summary>The operating-system process of every running service instance (the service itself, not the launcher above it).</summary>
    public async Task<List<int>> ServiceProcessesAsync()
    {
        var pids = new List<int>();
        foreach (var service in ResourceNames.Services)
        {
            pids.AddRange((await ResourcesAsync(service)).Select(r => Descendants(r.Pid).LastOrDefault(r.Pid)));
        }
        return pids;
    }

    private async Task<List<(string Id, int Pid)>> ResourcesAsync(string name)
    {
        var found = new Dictionary<string, int>();
        var model = app.Services.GetRequiredService<DistributedApplicationModel>();
        var expected = model.Resources.Single(r => r.Name == name).Annotations.OfType<ReplicaAnnotation>().SingleOrDefault()?.Replicas ?? 1;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await foreach (var e in app.ResourceNotifications.WatchAsync(cts.Token))
        {
            if (e.Resource.Name == name && e.Snapshot.State?.Text == KnownResourceStates.Running
                && e.Snapshot.Properties.FirstOrDefault(p => p.Name == "executable.pid")?.Value is { } pid)
            {
                found[e.ResourceId] = Convert.ToInt32(pid, CultureInfo.InvariantCulture);
            }
            else if (e.Resource.Name == name)
            {
                found.Remove(e.ResourceId);
            }
            if (found.Count == expected)
            {
                break;
            }
        }
        return [.. found.Select(f => (f.Key, f.Value))];
    }

    /// <summary>Signals the process and every process under it (a project runs as `dotnet run` with the service as its child).</summary>
    private static async Task SignalAsync(int pid, string signal)
    {
        var targets = Descendants(pid).Reverse().Append(pid).ToList();
        if (signal == "TERM")
        {
            targets = [Descendants(pid).LastOrDefault(pid)]; // the service itself: it drains, then its parent exits with it
        }
        foreach (var target in targets)
        {
            using var kill = Process.Start("kill", $"-{signal} {target}");
            await kill.WaitForExitAsync();
        }
    }

    private static IEnumerable<int> Descendants(int pid)
    {
        var children = Directory.GetDirectories("/proc").Select(d => Path.GetFileName(d)).Where(n => n.All(char.IsAsciiDigit)).Select(int.Parse)
            .Where(p => ParentOf(p) == pid).ToList();
        foreach (var child in children)
        {
            yield return child;
            foreach (var grandchild in Descendants(child))
            {
                yield return grandchild;
            }
        }
    }

    private static int ParentOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var afterName = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return int.Parse(afterName[1], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return -1;
        }
    }

    private async Task WaitHealthyAsync(string resourceId)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await foreach (var e in app.ResourceNotifications.WatchAsync(cts.Token))
        {
            if (e.ResourceId == resourceId && e.Snapshot.State?.Text == KnownResourceStates.Running
                && e.Snapshot.HealthStatus == Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy)
            {
                return;
            }
        }
    }

    private async Task WaitStoppedAsync(string resourceId)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await foreach (var e in app.ResourceNotifications.WatchAsync(cts.Token))
        {
            if (e.ResourceId == resourceId && e.Snapshot.State?.Text is { } state && state != KnownResourceStates.Running && state != KnownResourceStates.Starting)
            {
                return;
            }
        }
    }

    private async Task StartAsync(string resourceId)
    {
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var result = await _commands.ExecuteCommandAsync(resourceId, "resource-start");
            if (result.Success)
            {
                return;
            }
            await Task.Delay(TimeSpan.FromSeconds(1));
        }
        throw new InvalidOperationException($"{resourceId} could not be started again");
    }
}

/// <summary>Polls the AppHost's Prometheus for alerts pending or firing during a fault, then checks they resolve.</summary>
internal sealed class AlertWatch : IDisposable
{
    private readonly HttpClient _prometheus;
    private readonly CancellationTokenSource _stop = new();
    private readonly HashSet<string> _seen = [];
    private readonly Task _watch;

    public AlertWatch(DistributedApplication app)
    {
        var resource = app.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<IResourceWithEndpoints>().Single(r => r.Name == "prometheus");
        _prometheus = new HttpClient { BaseAddress = new Uri(resource.GetEndpoint("http").Url), Timeout = TimeSpan.FromSeconds(5) };
        _watch = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                foreach (var name in await ActiveAsync())
                {
                    lock (_seen)
                    {
                        _seen.Add(name);
                    }
                }
                await Task.Delay(500);
            }
        });
    }

    private async Task<List<string>> ActiveAsync()
    {
        try
        {
            var body = await _prometheus.GetFromJsonAsync<JsonElement>("/api/v1/alerts");
            return [.. body.GetProperty("data").GetProperty("alerts").EnumerateArray()
                .Where(a => a.GetProperty("state").GetString() is "pending" or "firing")
                .Select(a => a.GetProperty("labels").GetProperty("alertname").GetString()!
                    + (a.GetProperty("labels").TryGetProperty("check", out var check) ? $"({check.GetString()})" : ""))];
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException)
        {
            return [];
        }
    }

    /// <summary>"A, B → resolved" (or "→ still active: B" after 30 s), or "none".</summary>
    public async Task<string> StopAsync()
    {
        await _stop.CancelAsync();
        await _watch;
        string[] seen;
        lock (_seen)
        {
            seen = [.. _seen.Order()];
        }
        if (seen.Length == 0)
        {
            return "none";
        }
        var deadline = DateTime.UtcNow.AddSeconds(30);
        List<string> still;
        do
        {
            still = [.. (await ActiveAsync()).Intersect(seen)];
            if (still.Count == 0)
            {
                return $"{string.Join(", ", seen)} → resolved";
            }
            await Task.Delay(1000);
        }
        while (DateTime.UtcNow < deadline);
        return $"{string.Join(", ", seen)} → still active: {string.Join(", ", still)}";
    }

    public void Dispose() => _prometheus.Dispose();
}

/// <summary>Polls /health/ready of the API replicas during an infrastructure fault: did it go 503, and back to 200?</summary>
internal sealed class ReadinessWatch
{
    private readonly CancellationTokenSource _stop = new();
    private Task<string> _watch = Task.FromResult("");

    public static ReadinessWatch Start(IReadOnlyList<Uri> replicas)
    {
        var watch = new ReadinessWatch();
        watch._watch = watch.RunAsync(replicas[0]);
        return watch;
    }

    private async Task<string> RunAsync(Uri replica)
    {
        using var http = new HttpClient { BaseAddress = replica, Timeout = TimeSpan.FromSeconds(3) };
        var seen503 = false;
        var last = 0;
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                using var response = await http.GetAsync("/health/ready");
                last = (int)response.StatusCode;
                seen503 |= last == 503;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
            }
            await Task.Delay(200);
        }
        using var final = await http.GetAsync("/health/ready");
        return $"{(seen503 ? "503 seen" : "never 503")}, then {(int)final.StatusCode}";
    }

    public async Task<string> StopAsync()
    {
        await _stop.CancelAsync();
        return await _watch;
    }
}
