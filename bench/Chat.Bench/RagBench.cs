using Chat.RagService.Retrieval;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Chat.RagService.Ingestion;
using ChatAspire.Contracts;
using Npgsql;
using NpgsqlTypes;
using StackExchange.Redis;
using Aspire.Hosting.Testing;

namespace Chat.Bench;

/// <summary>
/// RAG service benchmark, whole system (AppHost, 2 cores):
/// 1. Ingestion throughput: SciFact abstracts uploaded as text files through Chat.Files, timed until every document
///    is ready (fetch, extract, chunk, embed, store), beside a same-run baseline: the same chunks embedded alone in
///    process with the same model.
/// 2. Search latency at 10k, 100k and (with <c>--million</c>) 1M chunks: <c>POST /api/rag/search</c> (access check,
///    query embedding, Lucene BM25, exact SIMD vector scan, fusion, chunk load) with distinct uncached queries, beside a
///    same-run baseline: the plain Postgres full-text query alone. The bulk chunks are SciFact text cycled to size with
///    random unit vectors: the cost of the float scan does not depend on what the vectors mean, the code scan's little (quality is eval/Rag.Eval's job).
///   dotnet run -c Release --project bench/Chat.Bench -- rag [--million | --ingest-only | --search-only]
/// Ends with one line: <c>rag-bench: p95 A ms at 100k chunks; p95 B ms at 1M chunks; cached p50 C ms; ingestion ratio R</c>.
/// </summary>
internal static class RagBench
{
    private const int IngestDocuments = 24;
    private const int AbstractsPerDocument = 20;

    /// <summary>
    /// Files ingested untimed first, as the baseline's model is loaded first: the services that just started compile
    /// their hot paths (JIT tiers) on these. With one, about a tenth of the services' CPU in the timed part was the JIT.
    /// With six, the per-upload code of Chat.Files and Chat.Api reached its 30th call, and with it the optimising JIT,
    /// during the timed rounds: they took 0.06–0.14 of the cores each in rounds 1–2 against 0.03–0.04 in round 3, and round
    /// 2 was the lowest of every run. Thirty-two take every per-file method past that threshold before timing starts.
    /// </summary>
    private const int WarmUpDocuments = 32;
    private const int IngestRounds = 3;
    private const int Queries = 150;

    public static async Task<int> RunAsync(string[] args)
    {
        var million = args.Contains("--million");
        var ingestOnly = args.Contains("--ingest-only"); // exploration: the ingestion phase alone, printed, no result file
        var searchOnly = args.Contains("--search-only"); // exploration: the search phase alone, printed, no result file
        var data = Path.Combine(RepoPaths.Root, "..", "shared", "data", "scifact");
        var corpus = File.ReadLines(Path.Combine(data, "corpus.jsonl")).Select(l => JsonDocument.Parse(l).RootElement)
            .Select(e => $"{e.GetProperty("title").GetString()}. {e.GetProperty("text").GetString()}")
            // Two abstracts hold C1 control characters (U+0094, U+0096), which Chat.Files rightly refuses in a text file.
            .Select(t => string.Concat(t.Select(c => char.IsControl(c) ? ' ' : c))).ToList();
        var queries = File.ReadLines(Path.Combine(data, "queries.jsonl")).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("text").GetString()!).ToList();

        await using var app = await BenchApp.StartAsync(BenchApp.WithExtraEnvironment(new Dictionary<string, string>()),
            ResourceNames.Files, ResourceNames.Api, ResourceNames.Rag);
        var (userId, token, userName) = await BenchApp.RegisterUserAsync(app, "ragbench");
        using var files = BenchApp.Client(app, ResourceNames.Files, token);
        using var rag = BenchApp.Client(app, ResourceNames.Rag, token);
        var report = new StringBuilder();

        // 1. Ingestion through the system vs embedding alone, in rounds of different files.
        string Document(int d) => string.Join("\n\n", corpus.Skip(d * AbstractsPerDocument).Take(AbstractsPerDocument));
        async Task<Guid> UploadAsync(string text, string name)
        {
            using var form = new MultipartFormDataContent { { new ByteArrayContent(Encoding.UTF8.GetBytes(text)), "file", name } };
            using var response = await files.PostAsync("/api/files", form);
            response.EnsureSuccessStatusCode();
            return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        }
        async Task<int> ReadyAsync(Guid fileId)
        {
            while (true)
            {
                using var status = await rag.GetAsync($"/api/rag/documents/by-file/{fileId}");
                if (status.IsSuccessStatusCode && (await status.Content.ReadFromJsonAsync<JsonElement>()) is var doc && doc.GetProperty("status").GetString() == "ready")
                {
                    return doc.GetProperty("chunkCount").GetInt32();
                }
                await Task.Delay(200);
            }
        }
        async Task<int> IngestAsync(IEnumerable<int> documentNumbers)
        {
            var ids = new List<Guid>();
            foreach (var d in documentNumbers)
            {
                ids.Add(await UploadAsync(Document(d), $"scifact-{d}.txt")); // one after another, as a person drops a folder
            }
            var ready = 0;
            foreach (var id in ids)
            {
                ready += await ReadyAsync(id);
            }
            return ready;
        }
        // Steady state, as the baseline's model is loaded first: other documents (other abstracts) go through the whole path
        // untimed, so the services that just started have compiled their hot paths.
        var ingested = await IngestAsync(Enumerable.Range(0, searchOnly ? 1 : WarmUpDocuments));
        Console.WriteLine("warmed up: timing ingestion");

        var chunker = new TokenChunker();
        using var embedder = new MiniLmEmbeddingGenerator();
        await embedder.GenerateAsync([.. Enumerable.Range(0, 8).Select(i => corpus[i])]); // load the model first, as the service had
        List<string> Texts(IEnumerable<int> numbers) => [.. numbers.SelectMany(d =>
            chunker.Chunk(TextExtractor.Extract(new MemoryStream(Encoding.UTF8.GetBytes(Document(d))), "text/plain")).Select(c => c.Text))];
        // The baseline runs before the first round and after every round, on that round's chunks (the first on round 1's):
        // each round is compared with the mean of the baselines on either side of it, as this machine's own speed drifts
        // by ±15 % from one 20 s run to the next.
        async Task<(double PerSecond, string Cpu)> AloneAsync(List<string> texts)
        {
            var aloneCpu = new CpuAccount();
            var watch = Stopwatch.StartNew();
            await embedder.GenerateAsync(texts);
            return (texts.Count / watch.Elapsed.TotalSeconds, CpuAccount.Describe(aloneCpu.Close()));
        }
        var before = searchOnly ? default : await AloneAsync(Texts(Enumerable.Range(WarmUpDocuments, IngestDocuments)));
        var rounds = new List<IngestRound>();
        for (var round = 0; round < (searchOnly ? 0 : IngestRounds); round++)
        {
            var numbers = Enumerable.Range(WarmUpDocuments + round * IngestDocuments, IngestDocuments).ToList();
            var systemCpu = new CpuAccount();
            var watch = Stopwatch.StartNew();
            var chunks = await IngestAsync(numbers);
            var seconds = watch.Elapsed.TotalSeconds;
            var system = CpuAccount.Describe(systemCpu.Close());
            var after = await AloneAsync(Texts(numbers));
            rounds.Add(new IngestRound(chunks / seconds, before.PerSecond, after.PerSecond, chunks, system, after.Cpu));
            before = after;
            ingested += chunks;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"ingestion round {round + 1}: system {rounds[^1].System:F1} chunks/s, embedding alone {rounds[^1].AloneBefore:F1} before and {rounds[^1].AloneAfter:F1} after, ratio {rounds[^1].Ratio:F2}"));
            Console.WriteLine($"  cpu (cores), system: {rounds[^1].Cpu}");
            Console.WriteLine($"  cpu (cores), alone: {rounds[^1].BaselineCpu}");
        }
        var ingestionRatio = rounds.Count == 0 ? double.NaN : rounds.Select(r => r.Ratio).Order().ElementAt(rounds.Count / 2);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ingestion ratio (median of {IngestRounds} rounds): {ingestionRatio:F2}"));
        report.Append(CultureInfo.InvariantCulture, $"""
            ## Ingestion

            {IngestRounds} rounds, each of {IngestDocuments} text files of {AbstractsPerDocument} SciFact abstracts (other abstracts every round),
            uploaded one after another and timed until the last is ready. The baseline: the same chunks (the service's chunker)
            embedded alone in the bench process with the same model, run before the first round and after every round; each
            round is compared with the mean of the baselines on either side of it. {WarmUpDocuments} other files went through
            first, untimed (steady state). The ratio reported is the median round's.

            | round | chunks | upload → ready through Chat.Files, the stream and Chat.RagService (chunks/s) | baseline before (chunks/s) | baseline after (chunks/s) | system / mean baseline |
            |---:|---:|---:|---:|---:|---:|

            """);
        foreach (var (r, i) in rounds.Select((r, i) => (r, i)))
        {
            report.Append(CultureInfo.InvariantCulture,
                $"| {i + 1} | {r.Chunks} | {r.System:F1} | {r.AloneBefore:F1} | {r.AloneAfter:F1} | {r.Ratio:F2} |\n");
        }
        report.Append("\nCores used per program (CPU seconds / wall seconds) in each round, system run, then the baseline after it:\n\n");
        foreach (var (r, i) in rounds.Select((r, i) => (r, i)))
        {
            report.Append(CultureInfo.InvariantCulture, $"- round {i + 1}: {r.Cpu}; baseline: {r.BaselineCpu}\n");
        }
        report.Append('\n');

        if (ingestOnly)
        {
            return 0;
        }

        // 2. Search latency at 10k and 100k chunks.
        var ragDb = await app.GetConnectionStringAsync(ResourceNames.RagDb);
        var redis = await ConnectionMultiplexer.ConnectAsync((await app.GetConnectionStringAsync(ResourceNames.Redis))!);
        report.Append("""
            ## Search latency

            Distinct queries (SciFact), none cached (150 per step; 40 at 1M); the caller can read every document. p50 / p95 in milliseconds.

            | chunks | `POST /api/rag/search` (hybrid, top 5 documents) | p95 | baseline: plain Postgres full-text query (`ts_rank_cd`, top 50) | p95 | search / baseline (p50) | repeated query (cached) p50 | exact vector scan alone (in process, top 50) p50 |
            |---:|---:|---:|---:|---:|---:|---:|---:|

            """);
        var total = ingested;
        var queryIndex = 0;
        var p95At = new Dictionary<int, double>();
        var cachedAt = new Dictionary<int, double>();
        foreach (var target in million ? new[] { 10_000, 100_000, 1_000_000 } : [10_000, 100_000])
        {
            total += await AddChunksAsync(ragDb!, userId, corpus, target - total);
            await IndexFullTextAsync(ragDb!);
            await redis.GetDatabase().StringIncrementAsync("rag:index:version");
            // A step can outlast an access token (loading 1M chunks takes many minutes): sign in again.
            rag.DefaultRequestHeaders.Authorization = new("Bearer", await BenchApp.LoginAsync(app, userName));
            // Warm-up: the first search reloads the index (100k vectors) and loads the query model.
            (await rag.PostAsJsonAsync("/api/rag/search", new { query = "warm up the index", topK = 5 })).EnsureSuccessStatusCode();
            var search = new List<double>();
            var baseline = new List<double>();
            await using var connection = new NpgsqlConnection(ragDb);
            await connection.OpenAsync();
            // At 1M chunks the Postgres baseline takes seconds per query: fewer queries there keep the run under an hour.
            for (var i = 0; i < (target >= 1_000_000 ? 40 : Queries); i++)
            {
                var query = queries[queryIndex++ % queries.Count];
                var watch = Stopwatch.StartNew();
                (await rag.PostAsJsonAsync("/api/rag/search", new { query, topK = 5 })).EnsureSuccessStatusCode();
                search.Add(watch.Elapsed.TotalMilliseconds);
                watch.Restart();
                await using var command = new NpgsqlCommand("""
                    SELECT f."Id", ts_rank_cd(f."SearchVector", q, 1) AS score
                    FROM bench_fulltext f, to_tsquery('english', replace(plainto_tsquery('english', @query)::text, ' & ', ' | ')) q
                    WHERE f."SearchVector" @@ q ORDER BY score DESC LIMIT 50
                    """, connection);
                command.Parameters.AddWithValue("query", query);
                await using (var reader = await command.ExecuteReaderAsync())
                {
                    while (await reader.ReadAsync())
                    {
                    }
                }
                baseline.Add(watch.Elapsed.TotalMilliseconds);
            }
            var cached = new List<double>();
            for (var i = 0; i < 30; i++)
            {
                var watch = Stopwatch.StartNew();
                (await rag.PostAsJsonAsync("/api/rag/search", new { query = queries[0], topK = 5 })).EnsureSuccessStatusCode();
                cached.Add(watch.Elapsed.TotalMilliseconds);
            }
            var scan = VectorScan(total);
            double P(List<double> xs, double p) => BenchApp.Percentile(xs, p);
            p95At[target] = P(search, 0.95);
            cachedAt[target] = P(cached, 0.5);
            report.Append(CultureInfo.InvariantCulture,
                $"| {total:N0} | {P(search, 0.5):F1} | {P(search, 0.95):F1} | {P(baseline, 0.5):F1} | {P(baseline, 0.95):F1} | {P(search, 0.5) / P(baseline, 0.5):F1} | {P(cached, 0.5):F1} | {P(scan, 0.5):F1} |\n");
            Console.WriteLine($"{total} chunks: search p50 {P(search, 0.5):F1} ms, baseline p50 {P(baseline, 0.5):F1} ms");
        }

        var text = $"""
            # RAG benchmark

            {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, commit {Repo.Git("rev-parse --short HEAD")}, {Environment.ProcessorCount} cores ({Environment.MachineName}), whole system (AppHost: Postgres, Redis, 2 API replicas,
            Chat.Files, Chat.RagService, Chat.AiWorker) on one machine. `dotnet run -c Release --project bench/Chat.Bench -- rag`.

            {report}
            Bulk chunks for the latency runs are SciFact abstracts cycled to size, written straight into `ragdb` as ready
            documents of 10 chunks with random unit vectors (the float scan costs the same whatever the vectors mean; the scan of
            8-bit codes rescores more chunks where many score within its rounding bound of the best, as near copies do).
            {(million ? "" : "1M chunks: not measured in this run (`-- rag --million`: about 2 GB more in Postgres and 1.9 GB of vectors and codes per replica).")}
            """;
        Console.WriteLine(text);
        if (searchOnly)
        {
            return 0;
        }
        await Repo.SaveResultAsync("rag-bench.md", text.TrimEnd() + Environment.NewLine);
        var atMillion = p95At.TryGetValue(1_000_000, out var m) ? m.ToString("F0", CultureInfo.InvariantCulture) : "n/a";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"rag-bench: p95 {p95At[100_000]:F0} ms at 100k chunks; p95 {atMillion} ms at 1M chunks; cached p50 {cachedAt[100_000]:F1} ms; ingestion ratio {ingestionRatio:F2}"));
        return 0;
    }

    /// <summary>The service's exact SIMD scan over <paramref name="count"/> random unit vectors, timed alone (is HNSW needed?).</summary>
    private static List<double> VectorScan(int count)
    {
        var random = new Random(7);
        var index = new VectorIndex(MiniLmEmbeddingGenerator.Dimensions);
        float[] Unit()
        {
            var v = new float[MiniLmEmbeddingGenerator.Dimensions];
            for (var j = 0; j < v.Length; j++)
            {
                v[j] = (float)(random.NextDouble() * 2 - 1);
            }
            var norm = MathF.Sqrt(v.Sum(x => x * x));
            return [.. v.Select(x => x / norm)];
        }
        index.Apply(Enumerable.Range(0, count / 10).Select(_ =>
            (Guid.NewGuid(), (IReadOnlyList<Guid>)[.. Enumerable.Range(0, 10).Select(_ => Guid.NewGuid())], (IReadOnlyList<float[]>)[.. Enumerable.Range(0, 10).Select(_ => Unit())])), []);
        for (var i = 0; i < 20; i++)
        {
            index.Search(Unit(), 50); // compiled at full speed first, as in the running service
        }
        var times = new List<double>();
        for (var i = 0; i < 50; i++)
        {
            var query = Unit();
            var watch = Stopwatch.StartNew();
            index.Search(query, 50);
            times.Add(watch.Elapsed.TotalMilliseconds);
        }
        return times;
    }

    /// <summary>
    /// The baseline's own full-text index: every chunk's English <c>tsvector</c> (heading and text) in a GIN-indexed table
    /// of the benchmark's, as a plain Postgres setup would keep it. The service has no such column; its lexical side is
    /// the Lucene index.
    /// </summary>
    private static async Task IndexFullTextAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            CREATE TABLE IF NOT EXISTS bench_fulltext ("Id" uuid PRIMARY KEY, "SearchVector" tsvector NOT NULL);
            CREATE INDEX IF NOT EXISTS bench_fulltext_search ON bench_fulltext USING GIN ("SearchVector");
            INSERT INTO bench_fulltext SELECT "Id", to_tsvector('english', coalesce("Heading", '') || ' ' || "Text") FROM chunks ON CONFLICT DO NOTHING;
            """, connection);
        command.CommandTimeout = 3600;
        await command.ExecuteNonQueryAsync();
        await VacuumAsync(connection, "bench_fulltext");
    }

    /// <summary>
    /// <c>VACUUM (ANALYZE)</c> after a bulk load, as one would run it: else autovacuum visits the freshly loaded table while a
    /// step is being timed (seen at the 10k step). One statement per table: VACUUM refuses a transaction block.
    /// </summary>
    private static async Task VacuumAsync(NpgsqlConnection connection, string table)
    {
        await using var vacuum = new NpgsqlCommand($"VACUUM (ANALYZE) {table}", connection);
        vacuum.CommandTimeout = 3600;
        await vacuum.ExecuteNonQueryAsync();
    }

    /// <summary>Writes <paramref name="count"/> ready chunks (10 per document, owned by the user) with binary COPY.</summary>
    private static async Task<int> AddChunksAsync(string connectionString, Guid ownerId, IReadOnlyList<string> corpus, int count)
    {
        var random = new Random(count);
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var model = new EmbeddingOptions().ModelId;
        var now = DateTimeOffset.UtcNow;
        var docs = (count + 9) / 10;
        var shas = Enumerable.Range(0, docs).Select(_ => Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()) + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())).ToArray();
        await using (var writer = await connection.BeginBinaryImportAsync("""
            COPY documents ("Id", "FileId", "OwnerId", "Name", "ContentType", "Sha256", "Status", "Model", "ChunkCount", "CreatedAt", "IndexedAt") FROM STDIN (FORMAT BINARY)
            """))
        {
            for (var d = 0; d < docs; d++)
            {
                await writer.StartRowAsync();
                await writer.WriteAsync(Guid.CreateVersion7(), NpgsqlDbType.Uuid);
                await writer.WriteAsync(Guid.NewGuid(), NpgsqlDbType.Uuid);
                await writer.WriteAsync(ownerId, NpgsqlDbType.Uuid);
                await writer.WriteAsync($"bulk-{d}.txt", NpgsqlDbType.Varchar);
                await writer.WriteAsync("text/plain", NpgsqlDbType.Varchar);
                await writer.WriteAsync(shas[d], NpgsqlDbType.Varchar);
                await writer.WriteAsync("Ready", NpgsqlDbType.Varchar);
                await writer.WriteAsync(model, NpgsqlDbType.Varchar);
                await writer.WriteAsync(10, NpgsqlDbType.Integer);
                await writer.WriteAsync(now, NpgsqlDbType.TimestampTz);
                await writer.WriteAsync(now, NpgsqlDbType.TimestampTz);
            }
            await writer.CompleteAsync();
        }
        await using (var writer = await connection.BeginBinaryImportAsync("""
            COPY chunks ("Id", "Sha256", "Ordinal", "Text", "Tokens", "Embedding", "Model") FROM STDIN (FORMAT BINARY)
            """))
        {
            var vector = new float[MiniLmEmbeddingGenerator.Dimensions];
            for (var i = 0; i < count; i++)
            {
                for (var j = 0; j < vector.Length; j++)
                {
                    vector[j] = (float)(random.NextDouble() * 2 - 1);
                }
                var norm = MathF.Sqrt(vector.Sum(v => v * v));
                await writer.StartRowAsync();
                await writer.WriteAsync(Guid.CreateVersion7(), NpgsqlDbType.Uuid);
                await writer.WriteAsync(shas[i / 10], NpgsqlDbType.Varchar);
                await writer.WriteAsync(i % 10, NpgsqlDbType.Integer);
                await writer.WriteAsync(corpus[i % corpus.Count], NpgsqlDbType.Text);
                await writer.WriteAsync(200, NpgsqlDbType.Integer);
                await writer.WriteAsync(vector.Select(v => v / norm).ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Real);
                await writer.WriteAsync(model, NpgsqlDbType.Varchar);
            }
            await writer.CompleteAsync();
        }
        await VacuumAsync(connection, "chunks");
        await VacuumAsync(connection, "documents");
        return count;
    }
}

/// <summary>One ingestion round: chunks/s through the system and for the same chunks embedded alone, and the CPU shares of both.</summary>
internal sealed record IngestRound(double System, double AloneBefore, double AloneAfter, int Chunks, string Cpu, string BaselineCpu)
{
    public double Ratio => System / ((AloneBefore + AloneAfter) / 2);
}
