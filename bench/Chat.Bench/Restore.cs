using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.Testing;
using ChatAspire.Contracts;
using Npgsql;

namespace Chat.Bench;

/// <summary>
/// Backup and restore end to end: a system with messages, files and ready documents is backed up while it runs
/// (scripts/backup.sh), restored into a fresh data folder (scripts/restore.sh), started as a fresh AppHost and compared:
/// per-channel message counts and seqs, every file's bytes (SHA-256), documents ready with the same top search hit for
/// a question about each, and every user able to sign in.
///   dotnet run -c Release --project bench/Chat.Bench -- restore [--messages 5000] [--save]
/// </summary>
internal static class Restore
{
    public static async Task<int> RunAsync(string[] args)
    {
        var messages = args.SkipWhile(a => a != "--messages").Skip(1).Select(a => int.Parse(a, CultureInfo.InvariantCulture)).FirstOrDefault(5000);
        var environment = new Dictionary<string, string> { ["Messages__SendBurst"] = "10000", ["Messages__SendPerSecond"] = "10000", ["RequestLimits__PerUserBurst"] = "1000000" };
        var work = Directory.CreateTempSubdirectory("chataspire-restore-bench-").FullName;
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(work, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        }
        try
        {
            var (users, channels, files, documents, questions, source, _) = await CreateSystemAsync(environment, messages, work);
            var backup = Path.Combine(work, "backup");
            var restored = Path.Combine(work, "restored");
            var pg = new NpgsqlConnectionStringBuilder(source);
            var backupSeconds = BackupSeconds; // taken inside CreateSystemAsync, while the system ran
            var restoreSeconds = await ScriptAsync("scripts/restore.sh", [backup, restored], new() { ["PGPASSWORD"] = pg.Password! });

            await using var app = await BenchApp.StartAsync(environment, telemetry: false,
                ["--ChatAspire:Monitoring:Enabled=false", "--ChatAspire:Ephemeral=false", $"--ChatAspire:DataPath={restored}",
                 $"--Parameters:postgres-password={pg.Password}"], [.. ResourceNames.Services]);
            var missing = 0;
            var mismatched = 0;
            var after = await ChannelSeqsAsync((await app.GetConnectionStringAsync(ResourceNames.ChatDb))!);
            foreach (var (channel, seqs) in channels)
            {
                if (!after.TryGetValue(channel, out var restoredSeqs))
                {
                    missing += seqs.Count;
                    continue;
                }
                mismatched += seqs.SequenceEqual(restoredSeqs) ? 0 : 1;
            }
            using var api = app.CreateHttpClient(ResourceNames.Api);
            var tokens = new List<string>();
            foreach (var user in users)
            {
                using var login = await api.PostAsJsonAsync("/api/auth/login", new { userName = user, password = "benchmark password" });
                if (!login.IsSuccessStatusCode)
                {
                    missing++;
                    continue;
                }
                tokens.Add((await login.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("tokens").GetProperty("accessToken").GetString()!);
            }
            using var filesClient = World.Authorized(app.CreateHttpClient(ResourceNames.Files).BaseAddress!, tokens[0]);
            foreach (var (id, sha) in files)
            {
                using var response = await filesClient.GetAsync($"/api/files/{id}/content");
                if (!response.IsSuccessStatusCode)
                {
                    missing++;
                    continue;
                }
                mismatched += Convert.ToHexStringLower(SHA256.HashData(await response.Content.ReadAsByteArrayAsync())) == sha ? 0 : 1;
            }
            using var rag = World.Authorized(app.CreateHttpClient(ResourceNames.Rag).BaseAddress!, tokens[0]);
            foreach (var (question, fileId) in questions)
            {
                Guid? top = null;
                var watch = Stopwatch.StartNew();
                while (top != fileId && watch.Elapsed < TimeSpan.FromSeconds(60))
                {
                    top = await TopHitAsync(rag, question);
                    if (top != fileId)
                    {
                        await Task.Delay(500);
                    }
                }
                mismatched += top == fileId ? 0 : 1;
            }
            var summary = string.Create(CultureInfo.InvariantCulture,
                $"restore: {channels.Sum(c => c.Value.Count)} messages, {files.Count} files, {documents} documents, {missing} missing, {mismatched} mismatched, backup {backupSeconds:F1} s, restore {restoreSeconds:F1} s");
            await Repo.SaveResultAsync("restore.md", string.Create(CultureInfo.InvariantCulture, $"""
                # Backup and restore

                {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, commit {Repo.Git("rev-parse --short HEAD")}, {Environment.ProcessorCount} cores.
                Command: `dotnet run -c Release --project bench/Chat.Bench -- restore --messages {messages} --save`. A running AppHost
                (local-process Postgres and Redis) with {users.Count} users, {channels.Count} channels, {channels.Sum(c => c.Value.Count)} messages,
                {files.Count} files ({documents} of them documents, ingested and ready) is backed up with `scripts/backup.sh` while it runs,
                restored with `scripts/restore.sh` into a fresh data folder, and started as a fresh AppHost on it. Compared: every
                channel's seqs, every user's sign-in, every file's bytes (SHA-256 through `GET /api/files/{"{id}"}/content`), and for each
                document a question whose top search hit must be that document.

                `{summary}`
                """));
            Console.WriteLine(summary);
            return missing == 0 && mismatched == 0 ? 0 : 1;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static async Task<(List<string> Users, Dictionary<Guid, List<long>> Channels, List<(Guid Id, string Sha)> Files, int Documents,
        List<(string Question, Guid FileId)> Questions, string ChatDb, string Storage)> CreateSystemAsync(Dictionary<string, string> environment, int messages, string work)
    {
        await using var app = await BenchApp.StartAsync(environment, telemetry: false, [.. ResourceNames.Services]);
        var users = new List<(Guid Id, string Token, string UserName)>();
        for (var i = 0; i < 4; i++)
        {
            users.Add(await BenchApp.RegisterUserAsync(app, $"restore{i}"));
        }
        var apiUrl = app.CreateHttpClient(ResourceNames.Api).BaseAddress!;
        using var owner = World.Authorized(apiUrl, users[0].Token);
        var channelIds = new List<Guid>();
        for (var c = 0; c < 4; c++)
        {
            var created = await (await owner.PostAsJsonAsync("/api/channels", new { name = $"restore-{c}-{Guid.NewGuid():N}", kind = "private" }))
                .EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonElement>();
            var id = created.GetProperty("id").GetGuid();
            channelIds.Add(id);
            foreach (var member in users.Skip(1))
            {
                (await owner.PostAsJsonAsync($"/api/channels/{id}/members", new { userId = member.Id })).EnsureSuccessStatusCode();
            }
        }
        await Parallel.ForEachAsync(Enumerable.Range(0, messages), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
        {
            using var sender = World.Authorized(apiUrl, users[i % users.Count].Token);
            (await sender.PostAsJsonAsync($"/api/channels/{channelIds[i % channelIds.Count]}/messages", new { content = $"message {i} before the backup" }, ct))
                .EnsureSuccessStatusCode();
        });
        using var filesClient = World.Authorized(app.CreateHttpClient(ResourceNames.Files).BaseAddress!, users[0].Token);
        using var rag = World.Authorized(app.CreateHttpClient(ResourceNames.Rag).BaseAddress!, users[0].Token);
        var files = new List<(Guid Id, string Sha)>();
        var questions = new List<(string Question, Guid FileId)>();
        string[] topics = ["lighthouse maintenance schedules", "sourdough starter hydration", "glacier retreat measurements", "violin bow rehairing", "orbital debris tracking"];
        for (var f = 0; f < 20; f++)
        {
            var document = f < topics.Length;
            var text = document
                ? $"# Notes on {topics[f]}\n\n" + string.Join("\n\n", Enumerable.Range(1, 20).Select(p => $"Paragraph {p} about {topics[f]}: details, figures and caveats number {p}."))
                : $"plain file {f} {Guid.NewGuid():N} " + Convert.ToHexString(RandomNumberGenerator.GetBytes(20_000));
            var bytes = Encoding.UTF8.GetBytes(text);
            using var form = new MultipartFormDataContent();
            var content = new ByteArrayContent(bytes);
            content.Headers.ContentType = new(document ? "text/markdown" : "text/plain");
            form.Add(content, "file", document ? $"notes-{f}.md" : $"data-{f}.txt");
            var uploaded = await (await filesClient.PostAsync("/api/files", form)).EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonElement>();
            var id = uploaded.GetProperty("id").GetGuid();
            files.Add((id, Convert.ToHexStringLower(SHA256.HashData(bytes))));
            if (document)
            {
                (await owner.PostAsJsonAsync($"/api/channels/{channelIds[f % channelIds.Count]}/messages", new { content = "notes", attachments = new[] { id } }))
                    .EnsureSuccessStatusCode();
                questions.Add(($"what should I know about {topics[f]}", id));
            }
        }
        foreach (var (question, fileId) in questions)
        {
            var watch = Stopwatch.StartNew();
            while (await TopHitAsync(rag, question) != fileId)
            {
                if (watch.Elapsed > TimeSpan.FromMinutes(3))
                {
                    throw new InvalidOperationException($"document {fileId} never became the top hit for its question before the backup");
                }
                await Task.Delay(500);
            }
        }
        var chatDb = (await app.GetConnectionStringAsync(ResourceNames.ChatDb))!;
        var all = await ChannelSeqsAsync(chatDb);
        var storage = await StoragePathAsync(app);
        // The backup is taken while this AppHost runs; it is disposed (and its ephemeral data deleted) only afterwards.
        var backupDir = Path.Combine(work, "backup");
        var pg = new NpgsqlConnectionStringBuilder(chatDb);
        var seconds = await ScriptAsync("scripts/backup.sh", [backupDir, "--data", Path.GetDirectoryName(storage)!],
            new() { ["PGHOST"] = pg.Host!, ["PGPORT"] = pg.Port.ToString(CultureInfo.InvariantCulture), ["PGPASSWORD"] = pg.Password! });
        BackupSeconds = seconds;
        return ([.. users.Select(u => u.UserName)], channelIds.ToDictionary(c => c, c => all[c]), files, questions.Count, questions, chatDb, storage);
    }

    private static double BackupSeconds;

    private static async Task<string> StoragePathAsync(DistributedApplication app)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await foreach (var e in app.ResourceNotifications.WatchAsync(cts.Token))
        {
            if (e.Resource.Name == ResourceNames.Files && e.Snapshot.EnvironmentVariables.FirstOrDefault(v => v.Name == "Files__StoragePath") is { Value: { } path })
            {
                return path;
            }
        }
        throw new InvalidOperationException("Chat.Files has no storage path");
    }

    private static async Task<Guid?> TopHitAsync(HttpClient rag, string query)
    {
        using var response = await rag.PostAsJsonAsync("/api/rag/search", new { query, topK = 3 });
        if (!response.IsSuccessStatusCode)
        {
            return null;
        }
        var hits = (await response.Content.ReadFromJsonAsync<RagSearchResponse>())!.Hits;
        return hits.Count > 0 ? hits[0].FileId : null;
    }

    private static async Task<Dictionary<Guid, List<long>>> ChannelSeqsAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""SELECT "ChannelId", "Seq" FROM messages ORDER BY "ChannelId", "Seq" """, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var channels = new Dictionary<Guid, List<long>>();
        while (await reader.ReadAsync())
        {
            var id = reader.GetGuid(0);
            if (!channels.TryGetValue(id, out var seqs))
            {
                channels[id] = seqs = [];
            }
            seqs.Add(reader.GetInt64(1));
        }
        return channels;
    }

    /// <summary>Runs a script of the repository; returns its wall time in seconds.</summary>
    private static async Task<double> ScriptAsync(string script, string[] args, Dictionary<string, string> environment)
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = RepoPaths.Root };
        psi.ArgumentList.Add(script);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        foreach (var (key, value) in environment)
        {
            psi.Environment[key] = value;
        }
        var watch = Stopwatch.StartNew();
        using var process = Process.Start(psi)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Console.Write(await output);
        return process.ExitCode == 0 ? watch.Elapsed.TotalSeconds : throw new InvalidOperationException($"{script} failed: {await errors}");
    }
}
