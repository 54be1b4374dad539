// Chat throughput and fan-out benchmark. Starts the whole AppHost (local Postgres and Redis, two API replicas),
// drives N SignalR clients that send over the hub and receive every message of their channel, and compares the
// persisted-message rate with a same-run baseline: the same inserts (sequence bump + message row, one transaction
// each) straight into Postgres with the same concurrency.
//   dotnet run -c Release --project bench/Chat.Bench -- [clients=40] [channels=8] [messagesPerClient=50]
//   dotnet run -c Release --project bench/Chat.Bench -- files      (20 MB upload throughput, see FilesBench.cs)
//   dotnet run -c Release --project bench/Chat.Bench -- rag        (ingestion and search latency at 10k/100k chunks, see RagBench.cs)
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.Testing;
using ChatAspire.AppHost;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Npgsql;
using Chat.Bench;

if (args.FirstOrDefault() == "files")
{
    return await FilesBench.RunAsync();
}
if (args.FirstOrDefault() == "rag")
{
    return await RagBench.RunAsync();
}

var clients = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 40;
var channels = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 8;
var perClient = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 50;
var total = clients * perClient;

// Measure the system, not the per-user send limit.
await using var app = await BenchApp.StartAsync(
    new Dictionary<string, string> { ["Messages__SendBurst"] = "10000", ["Messages__SendPerSecond"] = "10000" }, ResourceNames.Api);
var api = app.CreateHttpClient(ResourceNames.Api).BaseAddress!;
Console.WriteLine($"AppHost up; {clients} clients in {channels} channels, {perClient} messages each ({total} in all)");

// Users and channels.
var http = new HttpClient { BaseAddress = api };
var users = new List<(Guid Id, string Token)>();
for (var i = 0; i < clients; i++)
{
    var r = await http.PostAsJsonAsync("/api/auth/register", new { userName = $"bench{i}-{Guid.NewGuid():N}"[..20], password = "benchmark password" });
    var body = await r.Content.ReadFromJsonAsync<JsonElement>();
    users.Add((body.GetProperty("user").GetProperty("id").GetGuid(), body.GetProperty("tokens").GetProperty("accessToken").GetString()!));
}
var channelIds = new List<Guid>();
for (var c = 0; c < channels; c++)
{
    var owner = users[c % clients];
    using var req = new HttpRequestMessage(HttpMethod.Post, "/api/channels") { Content = JsonContent.Create(new { name = $"bench-{c}-{Guid.NewGuid():N}", kind = "private" }) };
    req.Headers.Authorization = new("Bearer", owner.Token);
    var created = await (await http.SendAsync(req)).Content.ReadFromJsonAsync<JsonElement>();
    channelIds.Add(created.GetProperty("id").GetGuid());
}
for (var i = 0; i < clients; i++)
{
    var channel = channelIds[i % channels];
    var owner = users[channelIds.IndexOf(channel) % clients];
    if (owner.Id == users[i].Id)
    {
        continue;
    }
    using var req = new HttpRequestMessage(HttpMethod.Post, $"/api/channels/{channel}/members") { Content = JsonContent.Create(new { userId = users[i].Id }) };
    req.Headers.Authorization = new("Bearer", owner.Token);
    (await http.SendAsync(req)).EnsureSuccessStatusCode();
}

// Connect every client (the proxy spreads them over both replicas).
var sentAt = new ConcurrentDictionary<Guid, long>();
var latencies = new ConcurrentBag<double>();
var expected = 0L;
var received = 0L;
var connections = new List<HubConnection>();
for (var i = 0; i < clients; i++)
{
    var token = users[i].Token;
    var hub = new HubConnectionBuilder().WithUrl(new Uri(api, "/hubs/chat"), o =>
    {
        o.AccessTokenProvider = () => Task.FromResult<string?>(token);
        o.SkipNegotiation = true;
        o.Transports = HttpTransportType.WebSockets;
    }).Build();
    hub.On<JsonElement>("MessageCreated", m =>
    {
        var now = Stopwatch.GetTimestamp();
        if (m.TryGetProperty("clientMessageId", out var id) && id.ValueKind == JsonValueKind.String && sentAt.TryGetValue(id.GetGuid(), out var start))
        {
            latencies.Add(Stopwatch.GetElapsedTime(start, now).TotalMilliseconds);
        }
        Interlocked.Increment(ref received);
    });
    await hub.StartAsync();
    connections.Add(hub);
}
var membersPerChannel = channelIds.Select((_, c) => Enumerable.Range(0, clients).Count(i => i % channels == c)).ToArray();
expected = Enumerable.Range(0, clients).Sum(i => (long)perClient * membersPerChannel[i % channels]);

// System run.
var wall = Stopwatch.StartNew();
await Task.WhenAll(Enumerable.Range(0, clients).Select(async i =>
{
    var channel = channelIds[i % channels];
    for (var n = 0; n < perClient; n++)
    {
        var clientId = Guid.NewGuid();
        sentAt[clientId] = Stopwatch.GetTimestamp();
        await connections[i].InvokeAsync<JsonElement>("SendMessage", channel, new { content = $"bench {i}/{n}", clientMessageId = clientId });
    }
}));
var sendSeconds = wall.Elapsed.TotalSeconds;
var deadline = DateTime.UtcNow.AddSeconds(30);
while (Interlocked.Read(ref received) < expected && DateTime.UtcNow < deadline)
{
    await Task.Delay(50);
}
var systemRate = total / sendSeconds;

// Baseline: the same inserts with the same concurrency, straight into Postgres.
var cs = await app.GetConnectionStringAsync(ResourceNames.ChatDb);
var baselineChannels = new List<Guid>();
await using (var setup = new NpgsqlConnection(cs))
{
    await setup.OpenAsync();
    for (var c = 0; c < channels; c++)
    {
        var id = Guid.CreateVersion7();
        await using var cmd = new NpgsqlCommand("""INSERT INTO channels ("Id","Name","Kind","LastSeq","AiMode","CreatedAt") VALUES ($1,$2,'private',0,false,now())""", setup);
        cmd.Parameters.AddWithValue(id);
        cmd.Parameters.AddWithValue($"baseline-{id:N}");
        await cmd.ExecuteNonQueryAsync();
        baselineChannels.Add(id);
    }
}
var baselineWall = Stopwatch.StartNew();
await Task.WhenAll(Enumerable.Range(0, clients).Select(async i =>
{
    var channel = baselineChannels[i % channels];
    await using var conn = new NpgsqlConnection(cs);
    await conn.OpenAsync();
    for (var n = 0; n < perClient; n++)
    {
        await using var tx = await conn.BeginTransactionAsync();
        await using var bump = new NpgsqlCommand("""UPDATE channels SET "LastSeq" = "LastSeq" + 1 WHERE "Id" = $1 RETURNING "LastSeq" """, conn, tx);
        bump.Parameters.AddWithValue(channel);
        var seq = (long)(await bump.ExecuteScalarAsync())!;
        await using var insert = new NpgsqlCommand("""
            INSERT INTO messages ("Id","ChannelId","Seq","SenderId","ClientMessageId","Type","Content","Attachments","CreatedAt")
            VALUES ($1,$2,$3,$4,$5,'user',$6,'{}',now())
            """, conn, tx);
        insert.Parameters.AddWithValue(Guid.CreateVersion7());
        insert.Parameters.AddWithValue(channel);
        insert.Parameters.AddWithValue(seq);
        insert.Parameters.AddWithValue(users[i].Id);
        insert.Parameters.AddWithValue(Guid.NewGuid());
        insert.Parameters.AddWithValue($"bench {i}/{n}");
        await insert.ExecuteNonQueryAsync();
        await tx.CommitAsync();
    }
}));
var baselineRate = total / baselineWall.Elapsed.TotalSeconds;

var sorted = latencies.Order().ToArray();
double Pct(double p) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
var report = $"""
    # Chat benchmark

    {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, {Environment.OSVersion}.
    Whole AppHost in local-process mode (Postgres 15, Redis 7, Chat.Api ×2 behind the AppHost proxy).
    {clients} SignalR clients (WebSockets) in {channels} private channels, {perClient} messages each, sent over the hub
    (each send awaits its persisted result), every member receiving every message of its channel.

    | measure | value |
    |---|---|
    | messages persisted | {total} |
    | system: persisted messages/s (hub send → commit → broadcast) | {systemRate:F0} |
    | baseline: same inserts straight into Postgres, same concurrency, messages/s | {baselineRate:F0} |
    | system / baseline | {systemRate / baselineRate:F2} |
    | deliveries expected / received | {expected} / {Interlocked.Read(ref received)} |
    | fan-out latency p50 (send start → received by a member) | {Pct(0.50):F1} ms |
    | fan-out latency p99 | {Pct(0.99):F1} ms |
    | fan-out latency max | {(sorted.Length > 0 ? sorted[^1] : double.NaN):F1} ms |
    """;
Console.WriteLine(report);
var output = Path.Combine(Repo.Root(), "bench", "results", "chat-bench.md");
await File.WriteAllTextAsync(output, report + Environment.NewLine);
Console.WriteLine($"written to {output}");
foreach (var c in connections)
{
    await c.DisposeAsync();
}
return 0;
