using System.Diagnostics;
using System.Globalization;
using ChatAspire.Contracts;

namespace Chat.Bench;

/// <summary>
/// A rolling upgrade under load: the whole AppHost as shipped (telemetry on), 200 msg/s from 40 well-behaved hub clients
/// in 8 channels, an upload every 10 s and a question every 15 s, while every service is restarted in turn with SIGTERM
/// (both API replicas, the AI worker, the RAG service, Chat.Files), each healthy again before the next. At the end every
/// acknowledged message must be stored exactly once with gap-free seq, every question answered exactly once, and every
/// document ingested exactly once (one ready document, each chunk once).
///   dotnet run -c Release --project bench/Chat.Bench -- rolling [--rate 200] [--save]
/// </summary>
internal static class Rolling
{
    public static async Task<int> RunAsync(string[] args)
    {
        var rate = args.SkipWhile(a => a != "--rate").Skip(1).Select(a => double.Parse(a, CultureInfo.InvariantCulture)).FirstOrDefault(200);
        var environment = new Dictionary<string, string>
        {
            ["Messages__SendBurst"] = "10000",
            ["Messages__SendPerSecond"] = "10000",
            ["RequestLimits__PerUserPerMinute"] = "10000000", // a load tool, not a person
            ["RequestLimits__PerUserBurst"] = "1000000",
            ["Auth__AccessTokenLifetime"] = "02:00:00",
        };
        var clock = Stopwatch.StartNew();
        await using var app = await BenchApp.StartAsync(environment, telemetry: true, [.. ResourceNames.Services]);
        var world = await DrillWorld.CreateAsync(app, clients: 40, channels: 8);
        var faults = new Faults(app);
        Console.WriteLine($"rolling: AppHost up in {clock.Elapsed.TotalSeconds:F0} s; {rate} msg/s over {world.Clients.Count} clients in {world.ChannelIds.Count} channels");

        using var stop = new CancellationTokenSource();
        var load = world.LoadAsync(rate, stop.Token);
        var questions = new List<Guid>();
        var documents = new List<Guid>();
        var sideErrors = 0;
        var side = Task.Run(async () =>
        {
            var tick = 0;
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    if (tick % 10 == 0)
                    {
                        var file = await world.UploadAsync(DrillWorld.Document(40), "text/markdown", $"rolling-{Guid.NewGuid():N}.md");
                        lock (documents)
                        {
                            documents.Add(file);
                        }
                    }
                    if (tick % 15 == 0)
                    {
                        var (_, question) = await world.AskAsync();
                        lock (questions)
                        {
                            questions.Add(question);
                        }
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    Interlocked.Increment(ref sideErrors); // refused while a service restarts: the client would retry
                }
                tick++;
                await Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None);
            }
        });
        await Task.Delay(TimeSpan.FromSeconds(10));

        var resyncs = new List<(string Name, double Seconds)>();
        foreach (var resource in (string[])[ResourceNames.Api, ResourceNames.AiWorker, ResourceNames.Rag, ResourceNames.Files])
        {
            foreach (var seconds in await faults.RollAsync(world, resource))
            {
                resyncs.Add((resource, seconds));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"rolling: {resource} restarted (SIGTERM); clients caught up {seconds:F1} s after it was back"));
            }
        }
        await Task.Delay(TimeSpan.FromSeconds(10));
        await stop.CancelAsync();
        await load;
        await side;

        var verdict = await world.VerifyAsync();
        var (repliesNotOnce, documentsNotOnce) = await world.NotExactlyOnceAsync(questions, documents);
        var maxResync = resyncs.Max(r => r.Seconds);
        var summary = string.Create(CultureInfo.InvariantCulture,
            $"rolling: {resyncs.Count} restarts, acked {verdict.Acked}, lost {verdict.Lost}, duplicated {verdict.Duplicated}, gaps {verdict.Gaps}, max resync {maxResync:F1} s, replies not exactly once {repliesNotOnce}, documents not exactly once {documentsNotOnce}");
        await Repo.SaveResultAsync("rolling.md", string.Create(CultureInfo.InvariantCulture, $"""
            # Rolling upgrade

            {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, commit {Repo.Git("rev-parse --short HEAD")}, {Environment.ProcessorCount} cores.
            Command: `dotnet run -c Release --project bench/Chat.Bench -- rolling --save`. Whole AppHost in Release as shipped
            (OTLP to the dashboard, Prometheus scraping, Information logs), local-process Postgres and Redis (ephemeral),
            {rate:F0} msg/s offered by {world.Clients.Count} hub clients in {world.ChannelIds.Count} channels through the AppHost's proxy,
            an upload every 10 s ({documents.Count} documents) and a question every 15 s ({questions.Count} questions). Every
            service instance in turn: SIGTERM, wait until stopped, start again, wait until healthy. Resync: from healthy again
            until every client holds everything acknowledged (or, if longer, from the stop until every client holds what was
            acknowledged before it, minus the outage).

            | instance | resync s |
            |---|---|
            {string.Join("\n", resyncs.Select(r => $"| {r.Name} | {r.Seconds:F1} |"))}

            Side requests refused while a service restarted (a client retries them): {sideErrors}. Unclean hub refusals: {world.Snapshot().UncleanRefusals}.

            `{summary}`
            """));
        Console.WriteLine(summary);
        await world.DisposeAsync();
        return verdict.Lost == 0 && verdict.Duplicated == 0 && verdict.Gaps == 0 && repliesNotOnce == 0 && documentsNotOnce == 0 ? 0 : 1;
    }
}
