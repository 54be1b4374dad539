using System.Diagnostics;
using Aspire.Hosting;
using Aspire.Hosting.Testing;
using System.Security.Cryptography;
using ChatAspire.Tests.Ai;
using ChatAspire.Tests.Infrastructure;
using ChatAspire.Tests.Rag;
using Npgsql;

namespace ChatAspire.Tests.Operations;

/// <summary>
/// scripts/backup.sh on the running system, scripts/restore.sh into a fresh data folder, a fresh AppHost on it: the
/// restored system holds what the backup saw (messages, seqs, file bytes, ready documents, accounts).
/// </summary>
[Collection(ExclusiveCollection.Name)]
public sealed class BackupRestoreTests(AppHostFixture fixture)
{
    [Fact]
    public async Task A_backup_of_the_running_system_restored_into_a_fresh_AppHost_has_every_message_file_document_and_account()
    {
        var api = fixture.ProxyClient(ResourceNames.Api).BaseAddress!;
        var alice = await ChatUsers.RegisterAsync(api, "backup");
        var channel = await alice.CreateChannelAsync();
        for (var i = 0; i < 15; i++) // within the send burst (20)
        {
            using var post = await alice.PostAsync(channel, $"before the backup {i}");
            Assert.Equal(HttpStatusCode.Created, post.StatusCode);
        }
        var marker = Guid.NewGuid().ToString("N");
        var documentId = await AiScenario.ShareDocumentAsync(fixture, alice, channel, "runbook.md",
            $"# Runbook\n\nThe nightly export {marker} runs at two in the morning and writes to the archive bucket.\n");
        var binary = System.Text.Encoding.ASCII.GetBytes(Convert.ToHexString(RandomNumberGenerator.GetBytes(150_000)));
        var binaryId = await fixture.UploadAsync(alice, "numbers.txt", binary);
        const string query = "when does the nightly export run";
        var topBefore = await TopHitAsync(fixture.ProxyClient(ResourceNames.Rag), alice.Token, query);
        Assert.Equal(documentId, topBefore);

        var source = new NpgsqlConnectionStringBuilder(await fixture.ConnectionStringAsync(ResourceNames.ChatDb));
        var storage = await fixture.EnvironmentOfAsync(ResourceNames.Files, "Files__StoragePath");
        var work = Directory.CreateTempSubdirectory("chataspire-backup-test-").FullName;
        // The postgres user runs the restored cluster: it must be able to traverse into the folder.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(work, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        }
        try
        {
            var backup = Path.Combine(work, "backup");
            var restored = Path.Combine(work, "restored");
            var pg = new Dictionary<string, string>
            {
                ["PGHOST"] = source.Host!, ["PGPORT"] = source.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), ["PGPASSWORD"] = source.Password!,
            };
            await RunAsync("scripts/backup.sh", [backup, "--data", Path.GetDirectoryName(storage)!], pg);
            var sourceChannels = await ChannelSeqsAsync(await fixture.ConnectionStringAsync(ResourceNames.ChatDb));
            await RunAsync("scripts/restore.sh", [backup, restored], new() { ["PGPASSWORD"] = source.Password! });

            await using var app = await AppHostFixture.StartAsync(
                ["--ChatAspire:Ephemeral=false", $"--ChatAspire:DataPath={restored}", $"--Parameters:postgres-password={source.Password}"]);
            var restoredApi = app.CreateHttpClient(ResourceNames.Api).BaseAddress!;

            // Messages: every channel as the backup saw it, seq for seq (rows written after the dump are not in it).
            var restoredChannels = await ChannelSeqsAsync((await app.GetConnectionStringAsync(ResourceNames.ChatDb))!);
            Assert.Contains(channel, restoredChannels.Keys);
            Assert.Equal(16, restoredChannels[channel].Count); // 15 posts and the message sharing the document
            foreach (var (id, seqs) in restoredChannels)
            {
                // Gap-free; a channel may start after 1, or be empty, where retention deleted its oldest messages (RetentionTests).
                Assert.Equal(Enumerable.Range(seqs.Count > 0 ? (int)seqs[0] : 1, seqs.Count).Select(s => (long)s), seqs);
                Assert.Equal(sourceChannels[id].Take(seqs.Count), seqs);
            }
            Assert.All(sourceChannels.Keys, id => Assert.Contains(id, restoredChannels.Keys));

            // Accounts: the user signs in with their password and reads the channel.
            var again = await ChatUsers.LoginAsync(restoredApi, alice.UserName);
            Assert.Equal(16, (await again.HistoryAsync(channel, "?limit=100")).Length);

            // Files: the same bytes, and every blob a row refers to is there with its SHA-256.
            using (var files = app.CreateHttpClient(ResourceNames.Files))
            {
                files.DefaultRequestHeaders.Authorization = new("Bearer", again.Token);
                Assert.Equal(binary, await files.GetByteArrayAsync($"/api/files/{binaryId}/content"));
            }
            await using (var filesDb = new NpgsqlConnection(await app.GetConnectionStringAsync(ResourceNames.FilesDb)))
            {
                await filesDb.OpenAsync();
                await using var rows = new NpgsqlCommand("""SELECT DISTINCT "Sha256" FROM files""", filesDb);
                await using var reader = await rows.ExecuteReaderAsync();
                var checkedBlobs = 0;
                while (await reader.ReadAsync())
                {
                    var sha = reader.GetString(0);
                    if (!File.Exists(Path.Combine(storage!, "blobs", sha[..2], sha)))
                    {
                        continue; // a row of an in-process Chat.Files of another test, whose blobs lived in a private folder
                    }
                    var blob = Path.Combine(restored, "files", "blobs", sha[..2], sha);
                    Assert.True(File.Exists(blob), $"blob {sha} of a restored row is missing");
                    Assert.Equal(sha, Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(blob))));
                    checkedBlobs++;
                }
                Assert.True(checkedBlobs >= 2);
            }

            // Documents: ready, and the same top hit for the same question.
            using var rag = app.CreateHttpClient(ResourceNames.Rag);
            Guid? topAfter = null;
            await Poll.UntilAsync(async () => (topAfter = await TopHitAsync(rag, again.Token, query)) == documentId, TimeSpan.FromSeconds(60),
                $"the restored search to find the document (top hit {topAfter})");
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static async Task<Guid?> TopHitAsync(HttpClient rag, string token, string query)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/rag/search") { Content = JsonContent.Create(new { query, topK = 3 }) };
        request.Headers.Authorization = new("Bearer", token);
        using var response = await rag.SendAsync(request);
        if (!response.IsSuccessStatusCode)
        {
            return null;
        }
        var hits = (await response.Content.ReadFromJsonAsync<RagSearchResponse>())!.Hits;
        return hits.Count > 0 ? hits[0].FileId : null;
    }

    /// <summary>Every channel's seqs in order.</summary>
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
        // Channels without messages count too.
        await reader.CloseAsync();
        await using var all = new NpgsqlCommand("""SELECT "Id" FROM channels""", connection);
        await using var ids = await all.ExecuteReaderAsync();
        while (await ids.ReadAsync())
        {
            channels.TryAdd(ids.GetGuid(0), []);
        }
        return channels;
    }

    private static async Task RunAsync(string script, string[] args, Dictionary<string, string> environment)
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
        using var process = Process.Start(psi)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(3));
        Assert.True(process.ExitCode == 0, $"{script} exited with {process.ExitCode}:\n{await output}\n{await errors}");
    }
}
