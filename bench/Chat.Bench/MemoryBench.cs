using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.Testing;
using ChatAspire.Contracts;
using Npgsql;

namespace Chat.Bench;

/// <summary>
/// The team memory (issue #39) through the public API of the whole system (AppHost, Release, telemetry on):
/// 1. The BEIR SciFact corpus posted as messages (one abstract per message, <c>POST /api/channels/{id}/messages</c>), spread
///    over 12 private channels with different members; timed until the RAG service has stored every one.
/// 2. Quality: the 300 test queries through the RAG service's <c>GET /api/search</c> as a member of every channel, nDCG@10 and recall@10
///    against the qrels; the same-run baseline is today's message search, <c>GET /api/messages/search</c> (Postgres full text).
/// 3. Leaks and latency: 8 concurrent searchers (members of different channel subsets) run 10,000 searches while one of
///    them leaves a channel and joins another; a hit from a channel its searcher could not read for the whole search is a
///    leak. p95 over those searches.
/// 4. Freshness: messages with a unique word, sent one by one; the time from the send's answer until the word finds them.
///   dotnet run -c Release --project bench/Chat.Bench -- memory [--save]
/// 5. Catch me up over 1,000 unread messages.
/// 6. At 1M messages: a million more written straight into <c>ragdb</c> over 200 channels (sentences of the imported
///    abstracts, each with its abstract's embedding moved by noise), the time a replica takes to load them, then 8
///    concurrent searchers, each a member of 20 of the 200 channels, with the SciFact queries, new (the query-embedding
///    cache emptied) and then repeated: p50/p95 and leaks. The line's p95 at 1M is the new queries'.
///    <c>-- memory --million-only</c> runs this part alone (random vectors: no import to borrow embeddings from).
/// Ends with one line: <c>memory: nDCG@10 H (baseline P); recall@10 R; leaks L of Q; search p95 S ms at N messages; freshness p95 F s; catch-up T ms for 1000 unread</c>.
/// </summary>
internal static class MemoryBench
{
    private const int Channels = 12;
    private const int Searchers = 8;
    private const int LeakQueries = 10_000;
    private const int FreshMessages = 30;
    private const int CatchUpUnread = 1000;
    private const int MillionChannels = 200;
    private const int MillionMessages = 1_000_000;
    private const int MillionChannelsEach = 20;

    /// <summary>A person: Chat.Api with their token, and the RAG service (its GET /api/search is the team memory's).</summary>
    private sealed record Person(Guid Id, string UserName, HttpClient Http, HttpClient Rag);

    public static async Task<int> RunAsync(string[] args)
    {
        var millionOnly = args.Contains("--million-only");
        var data = Path.Combine(RepoPaths.Root, "..", "shared", "data", "scifact");
        var corpus = File.ReadLines(Path.Combine(data, "corpus.jsonl")).Select(l => JsonDocument.Parse(l).RootElement)
            .Select(e => (Id: e.GetProperty("_id").GetString()!, Text: Clean($"{e.GetProperty("title").GetString()!.Trim()}. {e.GetProperty("text").GetString()}")))
            .ToList();
        var queries = File.ReadLines(Path.Combine(data, "queries.jsonl")).Select(l => JsonDocument.Parse(l).RootElement)
            .ToDictionary(e => e.GetProperty("_id").GetString()!, e => e.GetProperty("text").GetString()!);
        var qrels = File.ReadLines(Path.Combine(data, "qrels", "test.tsv")).Skip(1).Select(l => l.Split('\t'))
            .GroupBy(p => p[0]).ToDictionary(g => g.Key, g => g.Where(p => p[2] != "0").Select(p => p[1]).ToHashSet());

        var environment = BenchApp.WithExtraEnvironment(new Dictionary<string, string>
        {
            // The corpus is posted as fast as the system takes it: the per-person limits are a guard, not the subject here.
            ["Messages__SendBurst"] = "10000", ["Messages__SendPerSecond"] = "10000",
            ["RequestLimits__PerUserBurst"] = "1000000", ["RequestLimits__PerUserPerMinute"] = "1000000",
            // The corpus arrives as an import of 5,183 long messages: indexing may use the cores (as shipped it keeps to one
            // core). Single messages (freshness) do not depend on it.
            ["Rag__Memory__MaxCores"] = "2",
        });
        await using var app = await BenchApp.StartAsync(environment, ResourceNames.Api, ResourceNames.Rag);
        var ragDb = await app.GetConnectionStringAsync(ResourceNames.RagDb);

        async Task<Person> PersonAsync(string prefix)
        {
            var (id, token, userName) = await BenchApp.RegisterUserAsync(app, prefix);
            return new Person(id, userName, BenchApp.Client(app, ResourceNames.Api, token), BenchApp.Client(app, ResourceNames.Rag, token));
        }
        // Access tokens live 15 minutes; the import takes longer than that.
        async Task RefreshAsync(Person person)
        {
            var token = await BenchApp.LoginAsync(app, person.UserName);
            person.Http.DefaultRequestHeaders.Authorization = new("Bearer", token);
            person.Rag.DefaultRequestHeaders.Authorization = new("Bearer", token);
        }
        var owner = await PersonAsync("mem-owner");
        var queryTexts = queries.Values.Select(q => q.Length > 200 ? q[..200] : q).ToList();
        if (millionOnly)
        {
            var alone = await MillionAsync(app, owner, PersonAsync, queryTexts, ragDb!);
            Console.WriteLine(alone.Report);
            return 0;
        }
        var people = new List<Person>();
        for (var i = 0; i < 3; i++)
        {
            people.Add(await PersonAsync($"mem-{i}"));
        }
        var channels = new List<Guid>();
        for (var c = 0; c < Channels; c++)
        {
            using var created = await owner.Http.PostAsJsonAsync("/api/channels", new { name = $"memory-{c}-{Guid.NewGuid():N}"[..24], kind = "private" });
            created.EnsureSuccessStatusCode();
            channels.Add((await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid());
        }
        // Who reads what: the first person half the channels, the second the other half, the third every even one.
        var readable = new ConcurrentDictionary<Guid, HashSet<Guid>>();
        readable[owner.Id] = [.. channels];
        readable[people[0].Id] = [.. channels.Take(Channels / 2)];
        readable[people[1].Id] = [.. channels.Skip(Channels / 2)];
        readable[people[2].Id] = [.. channels.Where((_, i) => i % 2 == 0)];
        foreach (var person in people)
        {
            foreach (var channel in readable[person.Id])
            {
                await InviteAsync(owner, channel, person);
            }
        }

        // 1. The corpus as messages.
        var docOf = new ConcurrentDictionary<Guid, string>();
        var posting = Stopwatch.StartNew();
        await Parallel.ForEachAsync(corpus.Select((doc, i) => (doc, i)), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (item, ct) =>
        {
            var channel = channels[item.i % Channels];
            using var sent = await owner.Http.PostAsJsonAsync($"/api/channels/{channel}/messages", new { content = item.doc.Text, clientMessageId = Guid.NewGuid() }, ct);
            sent.EnsureSuccessStatusCode();
            docOf[(await sent.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("id").GetGuid()] = item.doc.Id;
        });
        var posted = posting.Elapsed;
        Console.WriteLine($"posted {corpus.Count} messages in {posted.TotalSeconds:F0} s");
        var lastCount = 0L;
        while ((lastCount = await CountAsync(ragDb!)) < corpus.Count)
        {
            Console.WriteLine($"indexed {lastCount} of {corpus.Count} after {posting.Elapsed.TotalSeconds:F0} s");
            await Task.Delay(TimeSpan.FromSeconds(10));
        }
        var indexed = posting.Elapsed;
        Console.WriteLine($"every message stored by the memory after {indexed.TotalSeconds:F0} s");

        foreach (var person in people.Prepend(owner))
        {
            await RefreshAsync(person);
        }

        // 2. Quality, hybrid against today's keyword search, the same queries in the same run.
        var testQueries = qrels.Keys.Where(queries.ContainsKey).ToList();
        double ndcg = 0, recall = 0, baseNdcg = 0, baseRecall = 0;
        foreach (var id in testQueries)
        {
            var query = queries[id].Length > 200 ? queries[id][..200] : queries[id];
            var found = await owner.Rag.GetFromJsonAsync<JsonElement>($"/api/search?q={Uri.EscapeDataString(query)}&limit=10");
            var ranked = found.GetProperty("hits").EnumerateArray().Where(h => h.GetProperty("kind").GetString() == "message")
                .Select(h => docOf.GetValueOrDefault(h.GetProperty("messageId").GetGuid())).OfType<string>().ToList();
            var keyword = await owner.Http.GetFromJsonAsync<JsonElement>($"/api/messages/search?q={Uri.EscapeDataString(query)}&limit=10");
            var baseRanked = keyword.EnumerateArray().Select(m => docOf.GetValueOrDefault(m.GetProperty("id").GetGuid())).OfType<string>().ToList();
            ndcg += Ndcg(ranked, qrels[id]);
            recall += Recall(ranked, qrels[id]);
            baseNdcg += Ndcg(baseRanked, qrels[id]);
            baseRecall += Recall(baseRanked, qrels[id]);
        }
        ndcg /= testQueries.Count;
        recall /= testQueries.Count;
        baseNdcg /= testQueries.Count;
        baseRecall /= testQueries.Count;
        Console.WriteLine($"nDCG@10 {ndcg:F3} (baseline {baseNdcg:F3}); recall@10 {recall:F3} (baseline {baseRecall:F3}) over {testQueries.Count} queries");

        // 3. Leaks and latency: 8 searchers, membership changing under them.
        var all = queries.Values.Select(q => q.Length > 200 ? q[..200] : q).ToList();
        var searchers = new[] { owner, people[0], people[1], people[2], owner, people[0], people[1], people[2] };
        var latencies = new ConcurrentBag<double>();
        var leaks = 0;
        var checkedHits = 0L;
        var done = 0;
        var mover = people[2];
        // Readable at a moment: a change is applied to this record only after the API answered it, and a search counts as
        // a leak only when its channel was unreadable both when it started and when it ended.
        var membership = new ConcurrentDictionary<Guid, (HashSet<Guid> Before, HashSet<Guid> After, long ChangedAt)>();
        membership[mover.Id] = ([.. readable[mover.Id]], [.. readable[mover.Id]], long.MaxValue);
        var change = Task.Run(async () =>
        {
            while (Volatile.Read(ref done) < LeakQueries / 2)
            {
                await Task.Delay(50);
            }
            var before = readable[mover.Id];
            var after = before.Where(c => c != channels[0]).Append(channels[1]).ToHashSet();
            membership[mover.Id] = (before, after, long.MaxValue);
            using (var left = await mover.Http.PostAsync($"/api/channels/{channels[0]}/leave", null))
            {
                left.EnsureSuccessStatusCode();
            }
            await InviteAsync(owner, channels[1], mover);
            membership[mover.Id] = (before, after, Stopwatch.GetTimestamp());
        });
        var searching = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, LeakQueries), new ParallelOptions { MaxDegreeOfParallelism = Searchers }, async (i, ct) =>
        {
            var person = searchers[i % Searchers];
            var started = Stopwatch.GetTimestamp();
            var watch = Stopwatch.StartNew();
            var found = await person.Rag.GetFromJsonAsync<JsonElement>($"/api/search?q={Uri.EscapeDataString(all[i % all.Count])}&limit=10", ct);
            latencies.Add(watch.Elapsed.TotalMilliseconds);
            foreach (var hit in found.GetProperty("hits").EnumerateArray().Where(h => h.GetProperty("kind").GetString() == "message"))
            {
                var channel = hit.GetProperty("channelId").GetGuid();
                Interlocked.Increment(ref checkedHits);
                bool may;
                if (membership.TryGetValue(person.Id, out var m))
                {
                    // Before the change was answered, the old set (and, once it began, the new one) may show; after it, the new set.
                    may = started >= m.ChangedAt ? m.After.Contains(channel) : m.Before.Contains(channel) || m.After.Contains(channel);
                }
                else
                {
                    may = readable[person.Id].Contains(channel);
                }
                if (!may)
                {
                    Interlocked.Increment(ref leaks);
                }
            }
            Interlocked.Increment(ref done);
        });
        await change;
        var searchSeconds = searching.Elapsed.TotalSeconds;
        var p50 = BenchApp.Percentile([.. latencies], 0.5);
        var p95 = BenchApp.Percentile([.. latencies], 0.95);
        Console.WriteLine($"{LeakQueries} searches by {Searchers} at once in {searchSeconds:F0} s: p50 {p50:F1} ms, p95 {p95:F1} ms; {checkedHits} message hits checked, {leaks} leaks");

        // 4. Freshness: a unique word, sent; how long until the word finds the message (the memory stored it and a search saw it).
        var freshness = new List<double>();
        for (var i = 0; i < FreshMessages; i++)
        {
            var word = $"fresh{Guid.NewGuid():N}"[..16];
            using var sent = await owner.Http.PostAsJsonAsync($"/api/channels/{channels[i % Channels]}/messages", new { content = $"A note about {word} for the team." });
            sent.EnsureSuccessStatusCode();
            var id = (await sent.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
            var watch = Stopwatch.StartNew();
            while (!await StoredAsync(ragDb!, id))
            {
                await Task.Delay(20);
            }
            var found = await owner.Rag.GetFromJsonAsync<JsonElement>($"/api/search?q={word}&limit=5");
            if (!found.GetProperty("hits").EnumerateArray().Any(h => h.GetProperty("kind").GetString() == "message" && h.GetProperty("messageId").GetGuid() == id))
            {
                throw new InvalidOperationException("a stored message was not found by its word");
            }
            freshness.Add(watch.Elapsed.TotalSeconds);
        }
        var fresh95 = BenchApp.Percentile(freshness, 0.95);

        // 5. Catch me up: 1,000 messages a member has not read (the first sentences of abstracts), digested.
        var busy = channels[0];
        await Parallel.ForEachAsync(Enumerable.Range(0, CatchUpUnread), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
        {
            var text = corpus[(i * 7) % corpus.Count].Text;
            using var sent = await owner.Http.PostAsJsonAsync($"/api/channels/{busy}/messages", new { content = text.Length > 300 ? text[..300] : text }, ct);
            sent.EnsureSuccessStatusCode();
        });
        var lastSeq = (await owner.Http.GetFromJsonAsync<JsonElement>($"/api/channels/{busy}")).GetProperty("lastSeq").GetInt64();
        var reader = people[0];
        var catchUps = new List<double>();
        for (var i = 0; i < 5; i++)
        {
            var watch = Stopwatch.StartNew();
            var digest = await reader.Http.GetFromJsonAsync<JsonElement>($"/api/channels/{busy}/catch-up?after={lastSeq - CatchUpUnread}");
            catchUps.Add(watch.Elapsed.TotalMilliseconds);
            if (digest.GetProperty("unread").GetInt32() != CatchUpUnread || digest.GetProperty("highlights").GetArrayLength() == 0)
            {
                throw new InvalidOperationException("the digest did not cover the 1,000 unread messages");
            }
        }
        var catchUp = BenchApp.Percentile(catchUps, 0.5);

        // 6. At a million messages.
        foreach (var person in people.Prepend(owner))
        {
            await RefreshAsync(person);
        }
        var million = await MillionAsync(app, owner, PersonAsync, queryTexts, ragDb!);
        Console.WriteLine(million.Report);

        var line = string.Create(CultureInfo.InvariantCulture,
            $"memory: nDCG@10 {ndcg:F3} (baseline {baseNdcg:F3}); recall@10 {recall:F3}; leaks {leaks + million.Leaks} of {LeakQueries + million.Queries}; search p95 {million.P95:F0} ms at 1M messages; freshness p95 {fresh95:F2} s; catch-up {catchUp:F0} ms for {CatchUpUnread} unread");
        var text = string.Create(CultureInfo.InvariantCulture, $"""
            # Team memory benchmark

            {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, commit {Repo.Git("rev-parse --short HEAD")}, {Environment.ProcessorCount} cores ({Environment.MachineName}), whole system (AppHost, Release,
            telemetry on) on one machine, `Rag:Memory:MaxCores` 2 for the import. `dotnet run -c Release --project bench/Chat.Bench -- memory`.

            - Corpus: BEIR SciFact, {corpus.Count} abstracts posted as messages (title. text, at most 4,000 characters) over {Channels} private channels by
              8 concurrent senders in {posted.TotalSeconds:F0} s; every one stored by the memory (chunked, embedded, indexed) {indexed.TotalSeconds:F0} s after the first send.
            - Quality over the {testQueries.Count} test queries, `GET /api/search?limit=10` as a member of every channel:
              nDCG@10 **{ndcg:F3}**, recall@10 **{recall:F3}**. Same run, today's message search (`GET /api/messages/search`,
              Postgres `simple` full text): nDCG@10 {baseNdcg:F3}, recall@10 {baseRecall:F3}.
            - Leaks: {LeakQueries:N0} searches by {Searchers} concurrent searchers (members of different channel subsets; one leaves a
              channel and joins another halfway), {checkedHits:N0} message hits checked against what their searcher could read: **{leaks} leaks**.
            - Latency of those searches ({Searchers} at once): p50 {p50:F1} ms, p95 **{p95:F1} ms** at {corpus.Count:N0} messages ({searchSeconds:F0} s in all).
            {million.Report}
            - Freshness: {FreshMessages} messages sent one by one; from the send's answer until the memory stored it and a search found it
              by its word: p50 {BenchApp.Percentile(freshness, 0.5):F2} s, p95 **{fresh95:F2} s**.
            - Catch me up: `GET /api/channels/(id)/catch-up` over {CatchUpUnread:N0} unread messages (first sentences of abstracts) for a member:
              p50 **{catchUp:F0} ms** of 5 (max {catchUps.Max():F0} ms), with the RAG service still indexing them beside it.

            `{line}`
            """);
        Console.WriteLine(text);
        await Repo.SaveResultAsync("memory-bench.md", text.TrimEnd() + Environment.NewLine);
        Console.WriteLine(line);
        return 0;
    }

    private sealed record Million(double P95, int Leaks, int Queries, string Report);

    /// <summary>Step 6: a million messages over 200 channels, loaded by the RAG replica, searched by 8 members of 20 channels each.</summary>
    private static async Task<Million> MillionAsync(DistributedApplication app, Person owner, Func<string, Task<Person>> personAsync,
        IReadOnlyList<string> queries, string ragDb)
    {
        var channels = new List<Guid>();
        for (var c = 0; c < MillionChannels; c++)
        {
            using var created = await owner.Http.PostAsJsonAsync("/api/channels", new { name = $"m-{c}-{Guid.NewGuid():N}"[..24], kind = "private" });
            created.EnsureSuccessStatusCode();
            channels.Add((await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid());
        }
        var searchers = new List<(Person Person, HashSet<Guid> Channels)>();
        for (var i = 0; i < Searchers; i++)
        {
            var person = await personAsync($"mem-m{i}");
            var mine = channels.Where((_, c) => c % (MillionChannels / MillionChannelsEach) == i).ToHashSet();
            foreach (var channel in mine)
            {
                await InviteAsync(owner, channel, person);
            }
            searchers.Add((person, mine));
        }

        await using var connection = new NpgsqlConnection(ragDb);
        await connection.OpenAsync();
        var writing = Stopwatch.StartNew();
        var sentences = await SentencesAsync(connection);
        var random = new Random(39);
        await using (var tx = await connection.BeginTransactionAsync())
        {
            // As MemoryWriter does: revisions in commit order under its advisory lock.
            await using (var lockIt = new NpgsqlCommand("SELECT pg_advisory_xact_lock(4301)", connection, tx))
            {
                await lockIt.ExecuteNonQueryAsync();
            }
            await using var max = new NpgsqlCommand("""SELECT coalesce(max("Revision"), 0) FROM memory_messages""", connection, tx);
            var revision = (long)(await max.ExecuteScalarAsync())!;
            var ids = new Guid[MillionMessages];
            var now = DateTimeOffset.UtcNow;
            await using (var writer = await connection.BeginBinaryImportAsync("""
                COPY memory_messages ("Id", "ChannelId", "Seq", "SenderId", "SenderName", "ReplyToId", "Text", "CreatedAt", "ChangedAt", "Removed", "Revision") FROM STDIN (FORMAT BINARY)
                """))
            {
                for (var i = 0; i < MillionMessages; i++)
                {
                    ids[i] = Guid.CreateVersion7();
                    var at = now.AddSeconds(i - MillionMessages);
                    await writer.StartRowAsync();
                    await writer.WriteAsync(ids[i], NpgsqlTypes.NpgsqlDbType.Uuid);
                    await writer.WriteAsync(channels[i % MillionChannels], NpgsqlTypes.NpgsqlDbType.Uuid);
                    await writer.WriteAsync((long)(i / MillionChannels + 1), NpgsqlTypes.NpgsqlDbType.Bigint);
                    await writer.WriteAsync(owner.Id, NpgsqlTypes.NpgsqlDbType.Uuid);
                    await writer.WriteAsync("bulk", NpgsqlTypes.NpgsqlDbType.Varchar);
                    await writer.WriteNullAsync();
                    await writer.WriteAsync(sentences[i % sentences.Count].Text, NpgsqlTypes.NpgsqlDbType.Text);
                    await writer.WriteAsync(at, NpgsqlTypes.NpgsqlDbType.TimestampTz);
                    await writer.WriteAsync(at, NpgsqlTypes.NpgsqlDbType.TimestampTz);
                    await writer.WriteAsync(false, NpgsqlTypes.NpgsqlDbType.Boolean);
                    await writer.WriteAsync(revision + i + 1, NpgsqlTypes.NpgsqlDbType.Bigint);
                }
                await writer.CompleteAsync();
            }
            await using (var writer = await connection.BeginBinaryImportAsync("""
                COPY memory_chunks ("Id", "MessageId", "Ordinal", "Text", "Embedding") FROM STDIN (FORMAT BINARY)
                """))
            {
                for (var i = 0; i < MillionMessages; i++)
                {
                    var sentence = sentences[i % sentences.Count];
                    await writer.StartRowAsync();
                    await writer.WriteAsync(Guid.CreateVersion7(), NpgsqlTypes.NpgsqlDbType.Uuid);
                    await writer.WriteAsync(ids[i], NpgsqlTypes.NpgsqlDbType.Uuid);
                    await writer.WriteAsync(0, NpgsqlTypes.NpgsqlDbType.Integer);
                    await writer.WriteAsync(sentence.Text, NpgsqlTypes.NpgsqlDbType.Text);
                    await writer.WriteAsync(Near(sentence.Vector, random), NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Real);
                }
                await writer.CompleteAsync();
            }
            await tx.CommitAsync();
        }
        foreach (var table in new[] { "memory_messages", "memory_chunks" })
        {
            await using var analyze = new NpgsqlCommand($"ANALYZE {table}", connection) { CommandTimeout = 600 };
            await analyze.ExecuteNonQueryAsync();
        }
        var written = writing.Elapsed;
        await using var count = new NpgsqlCommand("""SELECT count(*) FROM memory_messages WHERE NOT "Removed" """, connection);
        var messages = (long)(await count.ExecuteScalarAsync())!;
        Console.WriteLine($"wrote {MillionMessages:N0} messages in {written.TotalSeconds:F0} s; {messages:N0} in the memory");

        // The replica applies them before its next search (as after a restart, where it loads every message).
        var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync((await app.GetConnectionStringAsync(ResourceNames.Redis))!);
        await redis.GetDatabase().StringIncrementAsync("rag:memory:version");
        var loading = Stopwatch.StartNew();
        using (var first = BenchApp.Client(app, ResourceNames.Rag, searchers[0].Person.Rag.DefaultRequestHeaders.Authorization!.Parameter!))
        {
            first.Timeout = TimeSpan.FromMinutes(30);
            (await first.GetAsync($"/api/search?q={Uri.EscapeDataString(queries[0])}&limit=10")).EnsureSuccessStatusCode();
        }
        var load = loading.Elapsed;
        // After the load, Lucene merges the new segments in the background for a while: wait until the replica is idle.
        static TimeSpan RagCpu() => System.Diagnostics.Process.GetProcessesByName("Chat.RagService")
            .Aggregate(TimeSpan.Zero, (sum, p) => sum + p.TotalProcessorTime);
        var settling = Stopwatch.StartNew();
        while (settling.Elapsed < TimeSpan.FromMinutes(10))
        {
            var before = RagCpu();
            await Task.Delay(TimeSpan.FromSeconds(5));
            if ((RagCpu() - before).TotalSeconds / 5 < 0.1)
            {
                break;
            }
        }
        var settled = settling.Elapsed;
        var rss = System.Diagnostics.Process.GetProcessesByName("Chat.RagService").Sum(p => p.WorkingSet64) / 1024.0 / 1024 / 1024;
        Console.WriteLine($"the replica applied them in {load.TotalSeconds:F0} s, settled {settled.TotalSeconds:F0} s later; its working set is {rss:F1} GB");
        foreach (var (person, _) in searchers)
        {
            (await person.Rag.GetAsync($"/api/search?q=warm&limit=10")).EnsureSuccessStatusCode(); // each one's readable channels, once
        }

        // New queries (nothing cached: each query's embedding is computed) then the same queries again (their embeddings
        // cached in Redis, as for a query someone asked before), each by the 8 searchers at once.
        var server = redis.GetServers().First();
        await foreach (var key in server.KeysAsync(pattern: "rag:query-embedding:*"))
        {
            await redis.GetDatabase().KeyDeleteAsync(key);
        }
        var distinct = queries.Distinct().ToList();
        var leaks = 0;
        var hits = 0L;
        async Task<(double P50, double P95, double P99, double PerSecond)> PassAsync()
        {
            var latencies = new ConcurrentBag<double>();
            var searching = Stopwatch.StartNew();
            await Parallel.ForEachAsync(Enumerable.Range(0, distinct.Count), new ParallelOptions { MaxDegreeOfParallelism = Searchers }, async (i, ct) =>
            {
                var (person, mine) = searchers[i % Searchers];
                var watch = Stopwatch.StartNew();
                var found = await person.Rag.GetFromJsonAsync<JsonElement>($"/api/search?q={Uri.EscapeDataString(distinct[i])}&limit=10", ct);
                latencies.Add(watch.Elapsed.TotalMilliseconds);
                foreach (var hit in found.GetProperty("hits").EnumerateArray().Where(h => h.GetProperty("kind").GetString() == "message"))
                {
                    Interlocked.Increment(ref hits);
                    if (!mine.Contains(hit.GetProperty("channelId").GetGuid()))
                    {
                        Interlocked.Increment(ref leaks);
                    }
                }
            });
            return (BenchApp.Percentile([.. latencies], 0.5), BenchApp.Percentile([.. latencies], 0.95), BenchApp.Percentile([.. latencies], 0.99),
                distinct.Count / searching.Elapsed.TotalSeconds);
        }
        var cold = await PassAsync();
        var warm = await PassAsync();
        var p95 = cold.P95;
        Console.WriteLine($"1M: new queries p50 {cold.P50:F1} ms, p95 {cold.P95:F1} ms; repeated p50 {warm.P50:F1} ms, p95 {warm.P95:F1} ms; {hits} message hits, {leaks} leaks");
        var report = string.Create(CultureInfo.InvariantCulture, $"""
            - **At 1M messages**: {MillionMessages:N0} more messages written straight into `ragdb` ({messages:N0} in the memory in all) over
              {MillionChannels} private channels in {written.TotalSeconds:F0} s (binary COPY; each a sentence of an imported abstract, {sentences.Count:N0} distinct, with
              {(sentences[0].Real ? "that abstract's embedding moved by noise to cosine ≈ 0.8 of it" : "a random unit vector (--million-only: no import to borrow embeddings from)")}). The RAG replica applied them
              before its next search in {load.TotalSeconds:F0} s (what a restart on a million messages costs), and was idle again (Lucene's
              background merges done) {settled.TotalSeconds:F0} s later; its working set then was {rss:F1} GB.
              Then the {distinct.Count:N0} SciFact queries through `GET /api/search?limit=10` by {Searchers} concurrent searchers (each one
              after the other, no pause), each a member of {MillionChannelsEach} of the {MillionChannels} channels (every channel a different searcher's):
              - new queries (their embeddings computed: the query-embedding cache emptied first): p50 {cold.P50:F1} ms, p95 **{cold.P95:F1} ms**,
                p99 {cold.P99:F1} ms ({cold.PerSecond:F0} searches/s);
              - the same queries again (embeddings cached, as for a query asked before): p50 {warm.P50:F1} ms, p95 **{warm.P95:F1} ms**,
                p99 {warm.P99:F1} ms ({warm.PerSecond:F0} searches/s);
              - {hits:N0} message hits checked against the searcher's channels: **{leaks} leaks**.
            """);
        return new Million(p95, leaks, 2 * distinct.Count, report);
    }

    private sealed record Sentence(string Text, float[] Vector, bool Real);

    /// <summary>Sentences of the messages the memory holds, each with its message chunk's embedding; random vectors when it holds none.</summary>
    private static async Task<List<Sentence>> SentencesAsync(NpgsqlConnection connection)
    {
        var sentences = new List<Sentence>();
        await using (var command = new NpgsqlCommand("""SELECT "Text", "Embedding" FROM memory_chunks WHERE "Ordinal" = 0 LIMIT 20000""", connection))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                var vector = reader.GetFieldValue<float[]>(1);
                foreach (var sentence in reader.GetString(0).Split(". ", StringSplitOptions.TrimEntries).Where(t => t.Length is >= 30 and <= 400))
                {
                    sentences.Add(new Sentence(sentence.TrimEnd('.') + ".", vector, true));
                }
            }
        }
        if (sentences.Count < 1000)
        {
            var random = new Random(7);
            var words = "release build database migration review billing export login test deploy cache latency incident customer invoice".Split(' ');
            sentences = [.. Enumerable.Range(0, 20_000).Select(i => new Sentence(
                string.Join(' ', Enumerable.Range(0, 12).Select(_ => words[random.Next(words.Length)])) + $" {i}.", Near(new float[384], random, 1f), false))];
        }
        return sentences;
    }

    /// <summary>A unit vector near <paramref name="vector"/>: uniform noise of the given spread in each dimension (0.07: cosine ≈ 0.8 in 384 dimensions).</summary>
    private static float[] Near(float[] vector, Random random, float spread = 0.07f)
    {
        var near = new float[vector.Length];
        var norm = 0.0;
        for (var d = 0; d < near.Length; d++)
        {
            near[d] = vector[d] + spread * (float)(random.NextDouble() * 2 - 1);
            norm += near[d] * near[d];
        }
        var scale = (float)(1 / Math.Sqrt(norm));
        for (var d = 0; d < near.Length; d++)
        {
            near[d] *= scale;
        }
        return near;
    }

    private static async Task InviteAsync(Person owner, Guid channel, Person member)
    {
        using var invited = await owner.Http.PostAsJsonAsync($"/api/channels/{channel}/members", new { userId = member.Id });
        invited.EnsureSuccessStatusCode();
    }

    private static string Clean(string text)
    {
        var clean = string.Concat(text.Select(c => char.IsControl(c) ? ' ' : c));
        return clean.Length > 4000 ? clean[..4000] : clean;
    }

    private static async Task<long> CountAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""SELECT count(*) FROM memory_messages WHERE NOT "Removed" """, connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<bool> StoredAsync(string connectionString, Guid messageId)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""SELECT 1 FROM memory_messages WHERE "Id" = $1""", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = messageId });
        return await command.ExecuteScalarAsync() is not null;
    }

    private static double Ndcg(IReadOnlyList<string> ranked, HashSet<string> relevant)
    {
        var dcg = ranked.Take(10).Select((d, i) => relevant.Contains(d) ? 1 / Math.Log2(i + 2) : 0).Sum();
        var ideal = Enumerable.Range(0, Math.Min(10, relevant.Count)).Select(i => 1 / Math.Log2(i + 2)).Sum();
        return ideal == 0 ? 0 : dcg / ideal;
    }

    private static double Recall(IReadOnlyList<string> ranked, HashSet<string> relevant) =>
        relevant.Count == 0 ? 0 : ranked.Take(10).Count(relevant.Contains) / (double)relevant.Count;
}
