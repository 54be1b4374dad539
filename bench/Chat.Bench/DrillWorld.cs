using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.Testing;
using ChatAspire.Contracts;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;

namespace Chat.Bench;

/// <summary>
/// The drill's users, channels and well-behaved clients. A client keeps, per channel, the highest seq it applied and
/// applies only the next one; on a gap, and after every reconnect, it fetches what follows from history.
/// </summary>
internal sealed class DrillWorld : IAsyncDisposable
{
    private readonly ConcurrentDictionary<Guid, (Guid Channel, long Seq, Guid Id)> _acked = new();
    private readonly ConcurrentDictionary<Guid, int> _deltas = new();
    private long _cleanRefusals;
    private long _uncleanRefusals;

    public required DistributedApplication App { get; init; }
    public required Uri Api { get; init; }
    public required IReadOnlyList<Uri> ApiReplicaUrls { get; init; }
    public required List<DrillClient> Clients { get; init; }
    public required List<Guid> ChannelIds { get; init; }

    public (long Acked, long CleanRefusals, long UncleanRefusals) Snapshot() =>
        (_acked.Count, Interlocked.Read(ref _cleanRefusals), Interlocked.Read(ref _uncleanRefusals));

    public static async Task<DrillWorld> CreateAsync(DistributedApplication app, int clients, int channels)
    {
        var api = app.CreateHttpClient(ResourceNames.Api).BaseAddress!;
        var users = new List<(Guid Id, string Token)>();
        for (var i = 0; i < clients; i++)
        {
            users.Add(await BenchApp.RegisterAsync(app, $"drill{i}"));
        }
        var channelIds = new List<Guid>();
        for (var c = 0; c < channels; c++)
        {
            using var owner = World.Authorized(api, users[c].Token);
            var created = await (await owner.PostAsJsonAsync("/api/channels", new { name = $"drill-{c}-{Guid.NewGuid():N}", kind = "private" }))
                .EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonElement>();
            channelIds.Add(created.GetProperty("id").GetGuid());
        }
        for (var i = channels; i < clients; i++)
        {
            using var owner = World.Authorized(api, users[i % channels].Token);
            (await owner.PostAsJsonAsync($"/api/channels/{channelIds[i % channels]}/members", new { userId = users[i].Id })).EnsureSuccessStatusCode();
        }
        var world = new DrillWorld
        {
            App = app, Api = api, ApiReplicaUrls = await ChatAppHost.ReplicaUrlsAsync(app, ResourceNames.Api),
            Clients = [], ChannelIds = channelIds,
        };
        for (var i = 0; i < clients; i++)
        {
            var client = new DrillClient(world, users[i].Id, users[i].Token, channelIds[i % channels]);
            await client.StartAsync();
            world.Clients.Add(client);
        }
        return world;
    }

    /// <summary>Offers <paramref name="rate"/> msg/s round-robin over the clients until cancelled, then lets every started send finish.</summary>
    public async Task LoadAsync(double rate, CancellationToken stop, TimeSpan rampUp = default)
    {
        var sends = new List<Task>();
        var start = Stopwatch.GetTimestamp();
        // With a ramp, the rate climbs linearly from 0 to the full rate over rampUp (rampUp x rate / 2 messages), then holds.
        var ramp = rampUp.TotalSeconds;
        var inRamp = ramp * rate / 2;
        for (var n = 0; !stop.IsCancellationRequested; n++)
        {
            var at = n < inRamp ? Math.Sqrt(2 * ramp * n / rate) : ramp + (n - inRamp) / rate;
            var due = start + (long)(at * Stopwatch.Frequency);
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
            if (wait > TimeSpan.FromMilliseconds(1))
            {
                await Task.Delay(wait, CancellationToken.None);
            }
            var client = Clients[n % Clients.Count];
            sends.Add(client.SendUntilAckedAsync($"drill message {n}"));
            if (sends.Count > 5000)
            {
                sends.RemoveAll(t => t.IsCompleted);
            }
        }
        await Task.WhenAll(sends);
    }

    internal void Acked(Guid clientId, Guid channel, long seq, Guid id) => _acked[clientId] = (channel, seq, id);

    /// <summary>The first few unclean refusals, as the client saw them.</summary>
    public ConcurrentQueue<string> UncleanSamples { get; } = new();

    internal void Refused(bool clean, string? what = null)
    {
        if (!clean && UncleanSamples.Count < 5)
        {
            UncleanSamples.Enqueue(what ?? "?");
        }
        if (clean)
        {
            Interlocked.Increment(ref _cleanRefusals);
        }
        else
        {
            Interlocked.Increment(ref _uncleanRefusals);
        }
    }

    internal void Delta(Guid jobId) => _deltas.AddOrUpdate(jobId, 1, (_, n) => n + 1);

    /// <summary>What every client must hold: per channel, the highest seq acknowledged so far.</summary>
    public Dictionary<Guid, long> AckedSoFar() => _acked.Values.GroupBy(a => a.Channel).ToDictionary(g => g.Key, g => g.Max(a => a.Seq));

    /// <summary>Seconds (from <paramref name="since"/>) until every client holds its channel's history up to <paramref name="target"/>.</summary>
    public async Task<double> ResyncAsync(Dictionary<Guid, long> target, Stopwatch since)
    {
        while (since.Elapsed < TimeSpan.FromSeconds(120))
        {
            if (Clients.All(c => c.LastSeq >= target.GetValueOrDefault(c.Channel)))
            {
                return since.Elapsed.TotalSeconds;
            }
            await Task.Delay(50);
        }
        return double.PositiveInfinity;
    }

    /// <summary>Seconds until every client holds its channel's history up to the last message acknowledged now.</summary>
    public async Task<double> ResyncAsync()
    {
        var target = AckedSoFar();
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (Clients.All(c => c.LastSeq >= target.GetValueOrDefault(c.Channel)))
            {
                return watch.Elapsed.TotalSeconds;
            }
            await Task.Delay(100);
        }
        return double.PositiveInfinity;
    }

    public async Task<(Guid JobId, Guid QuestionId)> AskAsync()
    {
        var asker = Clients[0];
        using var http = World.Authorized(Api, asker.Token);
        var response = await http.PostAsJsonAsync($"/api/channels/{asker.Channel}/ai/ask",
            new { question = "Tell me about the drill documents and everything in them, please.", clientMessageId = Guid.NewGuid() });
        var body = await response.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonElement>();
        return (body.GetProperty("jobId").GetGuid(), body.GetProperty("message").GetProperty("id").GetGuid());
    }

    public async Task<bool> WaitForDeltaAsync(Guid jobId, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < timeout)
        {
            if (_deltas.ContainsKey(jobId))
            {
                return true;
            }
            await Task.Delay(20);
        }
        return false;
    }

    /// <summary>How many assistant messages answer <paramref name="questionId"/> once its job has finished (or the wait ran out).</summary>
    public async Task<int> RepliesToAsync(Guid questionId, TimeSpan timeout) =>
        (await RepliesToAsync([questionId], timeout)).GetValueOrDefault(questionId);

    /// <summary>
    /// How many assistant messages answer each of <paramref name="questionIds"/>: waits until each has at least one (or the
    /// wait ran out), then 3 s more, since a duplicate would come soon after. Read from the chat database by the reply's
    /// <c>ReplyToId</c> (an index): paging a soak's channel of 90,000 messages through the API for every question took hours.
    /// </summary>
    public async Task<Dictionary<Guid, int>> RepliesToAsync(IReadOnlyCollection<Guid> questionIds, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        var counts = await AiRepliesAsync(questionIds);
        while (watch.Elapsed < timeout && questionIds.Any(q => counts.GetValueOrDefault(q) == 0))
        {
            await Task.Delay(500);
            counts = await AiRepliesAsync(questionIds);
        }
        if (counts.Count > 0)
        {
            await Task.Delay(TimeSpan.FromSeconds(3));
            counts = await AiRepliesAsync(questionIds);
        }
        return counts;
    }

    private async Task<Dictionary<Guid, int>> AiRepliesAsync(IReadOnlyCollection<Guid> questionIds)
    {
        try
        {
            // No pooling: Postgres is killed in the drill, and a pooled connection from before would be dead.
            await using var connection = new Npgsql.NpgsqlConnection($"{await App.GetConnectionStringAsync(ResourceNames.ChatDb)};Pooling=false");
            await connection.OpenAsync();
            await using var command = new Npgsql.NpgsqlCommand("""
                SELECT "ReplyToId", count(*) FROM messages WHERE "ReplyToId" = ANY(@questions) AND "Type" = 'ai' GROUP BY "ReplyToId"
                """, connection);
            command.Parameters.AddWithValue("questions", questionIds.ToArray());
            await using var reader = await command.ExecuteReaderAsync();
            var counts = new Dictionary<Guid, int>();
            while (await reader.ReadAsync())
            {
                counts[reader.GetGuid(0)] = (int)reader.GetInt64(1);
            }
            return counts;
        }
        catch (Npgsql.NpgsqlException)
        {
            return []; // Postgres is down (the drill's fault): ask again
        }
    }

    /// <summary>
    /// A Markdown document of <paramref name="paragraphs"/> sections, unique to this call: the RAG service embeds each
    /// content once (chunks are keyed by the bytes' SHA-256), so a document met before would be ready at once and a kill
    /// meant for its ingestion would miss.
    /// </summary>
    public static byte[] Document(int paragraphs)
    {
        var run = Guid.NewGuid().ToString("N");
        return Encoding.UTF8.GetBytes(string.Join("\n\n", Enumerable.Range(1, paragraphs)
            .Select(i => $"# Section {i}\n\nThe drill document {run} paragraph {i} talks about resilience, recovery, queues and replicas number {i}.")));
    }

    public async Task<Guid> UploadAsync(byte[] bytes, string contentType, string name)
    {
        using var files = World.Authorized(App.CreateHttpClient(ResourceNames.Files).BaseAddress!, Clients[0].Token);
        using var form = new MultipartFormDataContent();
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        form.Add(content, "file", name);
        var response = await files.PostAsync("/api/files", form);
        return (await response.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }

    /// <summary>An upload trickled at ~4 MB/s, so that it is still streaming when Chat.Files dies.</summary>
    public async Task<string> SlowUploadAsync(int size)
    {
        using var files = World.Authorized(App.CreateHttpClient(ResourceNames.Files).BaseAddress!, Clients[0].Token);
        files.Timeout = TimeSpan.FromSeconds(60);
        using var form = new MultipartFormDataContent();
        var content = new StreamContent(new SlowStream(size, bytesPerSecond: 4 * 1024 * 1024));
        content.Headers.ContentType = new MediaTypeHeaderValue("text/plain");
        form.Add(content, "file", $"drill-{Guid.NewGuid():N}.txt");
        try
        {
            using var response = await files.PostAsync("/api/files", form);
            return $"answered {(int)response.StatusCode}";
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
        {
            return $"cut ({ex.GetType().Name})";
        }
    }

    /// <summary>My files (id → size).</summary>
    public async Task<Dictionary<Guid, long>> MyFilesAsync()
    {
        using var files = World.Authorized(App.CreateHttpClient(ResourceNames.Files).BaseAddress!, Clients[0].Token);
        var list = await files.GetFromJsonAsync<JsonElement>("/api/files");
        return list.EnumerateArray().ToDictionary(f => f.GetProperty("id").GetGuid(), f => f.GetProperty("size").GetInt64());
    }

    public async Task<string> WaitForDocumentAsync(Guid fileId, Func<string, bool> until, TimeSpan timeout)
    {
        using var rag = World.Authorized(App.CreateHttpClient(ResourceNames.Rag).BaseAddress!, Clients[0].Token);
        var watch = Stopwatch.StartNew();
        var status = "unknown";
        while (watch.Elapsed < timeout)
        {
            try
            {
                using var response = await rag.GetAsync($"/api/rag/documents/by-file/{fileId}");
                if (response.IsSuccessStatusCode)
                {
                    status = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString()!;
                    if (until(status))
                    {
                        return status;
                    }
                }
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(100);
        }
        return status;
    }

    /// <summary>How many of <paramref name="questions"/> did not get exactly one reply, and of <paramref name="documents"/> did not end ingested exactly once.</summary>
    public async Task<(int Replies, int Documents)> NotExactlyOnceAsync(IEnumerable<Guid> questions, IEnumerable<Guid> documents)
    {
        var asked = questions.ToList();
        var counts = await RepliesToAsync(asked, TimeSpan.FromSeconds(120));
        var replies = asked.Count(q => counts.GetValueOrDefault(q) != 1);
        var notOnce = 0;
        foreach (var file in documents)
        {
            var status = await WaitForDocumentAsync(file, s => s is "ready" or "failed", TimeSpan.FromSeconds(180));
            notOnce += status == "ready" ? await DocumentNotExactlyOnceAsync(file) : 1;
        }
        return (replies, notOnce);
    }

    /// <summary>
    /// 0 when the file has exactly one document, ready, whose chunks are each stored once (ordinals 0..n-1, n = its
    /// chunk count); 1 otherwise. Read from the RAG database: duplicated chunks would not show through the API.
    /// </summary>
    public async Task<int> DocumentNotExactlyOnceAsync(Guid fileId)
    {
        // No pooling: Postgres is killed in the drill, and a pooled connection from before would be dead.
        await using var connection = new Npgsql.NpgsqlConnection($"{await App.GetConnectionStringAsync(ResourceNames.RagDb)};Pooling=false");
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("""
            SELECT (SELECT count(*) FROM documents WHERE "FileId" = @file),
                   (SELECT count(*) FROM documents WHERE "FileId" = @file AND "Status" = 'Ready'),
                   (SELECT max("ChunkCount") FROM documents WHERE "FileId" = @file),
                   (SELECT count(*) FROM chunks c WHERE c."Sha256" IN (SELECT "Sha256" FROM documents WHERE "FileId" = @file)),
                   (SELECT count(DISTINCT c."Ordinal") FROM chunks c WHERE c."Sha256" IN (SELECT "Sha256" FROM documents WHERE "FileId" = @file))
            """, connection);
        command.Parameters.AddWithValue("file", fileId);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        var (documents, ready, chunkCount, chunks, ordinals) = (reader.GetInt64(0), reader.GetInt64(1), reader.IsDBNull(2) ? 0 : reader.GetInt32(2),
            reader.GetInt64(3), reader.GetInt64(4));
        return documents == 1 && ready == 1 && chunkCount > 0 && chunks == chunkCount && ordinals == chunkCount ? 0 : 1;
    }

    private async Task<List<JsonElement>> HistoryAsync(Guid channel)
    {
        var owner = Clients.First(c => c.Channel == channel);
        using var http = World.Authorized(Api, owner.Token);
        var all = new List<JsonElement>();
        long after = 0;
        while (true)
        {
            var page = await http.GetFromJsonAsync<JsonElement[]>($"/api/channels/{channel}/messages?after={after}&limit=100");
            all.AddRange(page!);
            if (page!.Length < 100)
            {
                return all;
            }
            after = page[^1].GetProperty("seq").GetInt64();
        }
    }

    /// <summary>Every acknowledged send stored exactly once, seq 1..N in every channel.</summary>
    public async Task<Drill.Verdict> VerifyAsync()
    {
        long stored = 0, lost = 0, duplicated = 0, gaps = 0;
        var byClientId = new Dictionary<Guid, List<(long Seq, Guid Id)>>();
        foreach (var channel in ChannelIds)
        {
            var history = await HistoryAsync(channel);
            stored += history.Count;
            var seqs = history.Select(m => m.GetProperty("seq").GetInt64()).ToList();
            gaps += seqs.Select((s, i) => s == i + 1 ? 0 : 1).Sum();
            foreach (var m in history)
            {
                if (m.GetProperty("clientMessageId").ValueKind == JsonValueKind.String)
                {
                    var key = m.GetProperty("clientMessageId").GetGuid();
                    (byClientId.TryGetValue(key, out var list) ? list : byClientId[key] = []).Add((m.GetProperty("seq").GetInt64(), m.GetProperty("id").GetGuid()));
                }
            }
        }
        duplicated = byClientId.Values.Sum(l => l.Count - 1);
        foreach (var (clientId, acked) in _acked)
        {
            if (!byClientId.TryGetValue(clientId, out var found) || found.All(f => f.Id != acked.Id))
            {
                lost++;
            }
        }
        return new Drill.Verdict(_acked.Count, stored, lost, duplicated, gaps);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in Clients)
        {
            await client.DisposeAsync();
        }
    }

    private sealed class SlowStream(long length, int bytesPerSecond) : Stream
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private long _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var n = (int)Math.Min(Math.Min(buffer.Length, 64 * 1024), length - _position);
            if (n <= 0)
            {
                return 0;
            }
            var due = TimeSpan.FromSeconds((_position + n) / (double)bytesPerSecond);
            if (due > _clock.Elapsed)
            {
                await Task.Delay(due - _clock.Elapsed, cancellationToken);
            }
            buffer.Span[..n].Fill((byte)'a');
            _position += n;
            return n;
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

/// <summary>One well-behaved hub client (docs/realtime.md): reconnects forever, catches up after every reconnect and every gap.</summary>
internal sealed class DrillClient(DrillWorld world, Guid userId, string token, Guid channel) : IAsyncDisposable
{
    private readonly SemaphoreSlim _catchUp = new(1, 1);
    private HubConnection _hub = null!;
    private long _lastSeq;
    private int _again;

    public Guid UserId { get; } = userId;
    public string Token { get; } = token;
    public Guid Channel { get; } = channel;
    public long LastSeq => Interlocked.Read(ref _lastSeq);

    public async Task StartAsync()
    {
        _hub = new HubConnectionBuilder().WithUrl(new Uri(world.Api, "/hubs/chat"), o =>
        {
            o.AccessTokenProvider = () => Task.FromResult<string?>(Token);
            o.SkipNegotiation = true;
            o.Transports = HttpTransportType.WebSockets;
        }).WithAutomaticReconnect(new Forever()).Build();
        _hub.On<JsonElement>("MessageCreated", m =>
        {
            if (m.GetProperty("channelId").GetGuid() != Channel)
            {
                return;
            }
            var seq = m.GetProperty("seq").GetInt64();
            if (Interlocked.CompareExchange(ref _lastSeq, seq, seq - 1) != seq - 1 && seq > LastSeq)
            {
                _ = CatchUpAsync(); // a gap: fetch what follows lastSeq
            }
        });
        _hub.On<JsonElement>("AiReplyDelta", d => world.Delta(d.GetProperty("jobId").GetGuid()));
        _hub.Reconnected += _ => CatchUpAsync();
        await _hub.StartAsync();
        await CatchUpAsync();
    }

    private async Task CatchUpAsync()
    {
        if (!await _catchUp.WaitAsync(0))
        {
            Interlocked.Exchange(ref _again, 1); // the running catch-up goes round once more
            return;
        }
        try
        {
            while (true)
            {
                var page = await _hub.InvokeAsync<JsonElement[]>("GetMessagesAfter", Channel, LastSeq, 100);
                foreach (var m in page)
                {
                    var seq = m.GetProperty("seq").GetInt64();
                    Interlocked.CompareExchange(ref _lastSeq, seq, seq - 1);
                }
                if (page.Length < 100)
                {
                    return;
                }
            }
        }
        catch (Exception)
        {
            // Disconnected meanwhile: the next reconnect (or the next gap) catches up.
        }
        finally
        {
            _catchUp.Release();
        }
        if (Interlocked.Exchange(ref _again, 0) == 1)
        {
            await CatchUpAsync();
        }
    }

    /// <summary>Sends one message, retrying with the same clientMessageId until it is acknowledged.</summary>
    public async Task SendUntilAckedAsync(string content)
    {
        var clientId = Guid.NewGuid();
        for (var attempt = 0; attempt < 200; attempt++)
        {
            if (_hub.State != HubConnectionState.Connected)
            {
                await Task.Delay(250);
                continue;
            }
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try
            {
                var stored = await _hub.InvokeAsync<JsonElement>("SendMessage", Channel, new { content, clientMessageId = clientId }, timeout.Token);
                world.Acked(clientId, Channel, stored.GetProperty("seq").GetInt64(), stored.GetProperty("id").GetGuid());
                return;
            }
            catch (Microsoft.AspNetCore.SignalR.HubException ex)
            {
                // A refusal: clean when the server said what kind; either way retry with the same id.
                world.Refused(Drill.RefusalKind().IsMatch(ex.Message), ex.Message);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested)
            {
                world.Refused(clean: false, "no answer within 15 s"); // a hang past the client's timeout
            }
            catch (Exception)
            {
                // The connection dropped mid-call: not a refusal; retry once reconnected.
            }
            await Task.Delay(200 + Random.Shared.Next(300));
        }
    }

    public async ValueTask DisposeAsync() => await _hub.DisposeAsync();

    private sealed class Forever : IRetryPolicy
    {
        public TimeSpan? NextRetryDelay(RetryContext retryContext) => TimeSpan.FromMilliseconds(Math.Min(2000, 200 * (retryContext.PreviousRetryCount + 1)));
    }
}
