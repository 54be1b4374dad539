using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Aspire.Hosting;
using Aspire.Hosting.Testing;
using ChatAspire.Contracts;

namespace Chat.Bench;

/// <summary>
/// The web page as a person gets it (issue #36): the whole AppHost (Release, telemetry on), then bench/web/web-bench.mjs in
/// Debian's Chromium: Lighthouse 12.2.3 on the sign-in page, on a channel of 30 messages and on a channel of 10,000, and
/// the 10,000-message channel opened cold and scrolled to its first message (time to the newest message on screen, the
/// most message rows the page held). Ends with
/// <c>web: lighthouse login P/A/B, channel P/A/B; 10k channel first render T ms, max message nodes N</c>.
/// </summary>
internal static class WebBench
{
    private const string Password = "benchmark password";
    private const int LighthouseRuns = 3;

    public static async Task<int> RunAsync()
    {
        var web = Path.Combine(RepoPaths.Root, "bench", "web");
        if (!Directory.Exists(Path.Combine(web, "node_modules", "lighthouse")))
        {
            await RunAsync("npm", $"ci --no-audit --no-fund --prefix {web}");
        }
        await using var app = await BenchApp.StartAsync(new Dictionary<string, string>(), telemetry: true, ResourceNames.Api);
        var url = app.GetEndpoint(ResourceNames.Api, "http").ToString().TrimEnd('/');

        // A channel of 30 messages from two people: Markdown, emoji, a reply; what a team's page holds on an ordinary day.
        var (ada, adaAuth) = await RegisterAsync(app, "ada");
        var (grace, graceAuth) = await RegisterAsync(app, "grace");
        var channel = await CreateChannelAsync(ada, "a-team");
        (await ada.PostAsJsonAsync($"/api/channels/{channel}/members", new { userId = graceAuth["user"]!["id"]!.GetValue<Guid>() })).EnsureSuccessStatusCode();
        string[] lines =
        [
            "Morning! 🎉 The **release** is out.", "Did the `migrations` run?", "Yes, all three ✅", "Great, thanks 🙏",
            "Can someone look at the dashboard?", "Looking now 👀", "p99 is back under 50 ms", "Nice work ❤️",
            "Retro at 3?", "Works for me 👍",
        ];
        for (var i = 0; i < 30; i++)
        {
            await PostAsync(i % 4 < 2 ? ada : grace, channel, lines[i % lines.Length]);
        }

        // Ten thousand messages in a channel of their own (straight into chatdb: the send limit would take half an hour).
        var (bigOwner, bigAuth) = await RegisterAsync(app, "big");
        var big = await CreateChannelAsync(bigOwner, "a-big");
        var other = await CreateChannelAsync(bigOwner, "b-small");
        await PostAsync(bigOwner, other, "a quiet channel");
        await using (var db = new Npgsql.NpgsqlConnection(await app.GetConnectionStringAsync(ResourceNames.ChatDb)))
        {
            await db.OpenAsync();
            await using var seed = new Npgsql.NpgsqlCommand("""
                INSERT INTO messages ("Id", "ChannelId", "Seq", "SenderId", "Type", "Content", "Attachments", "Mentions", "CreatedAt")
                SELECT gen_random_uuid(), @channel, g, @sender, 'user', 'message number ' || g, '{}', '{}', now() - (10000 - g) * interval '1 second'
                FROM generate_series(1, 10000) AS g;
                UPDATE channels SET "LastSeq" = 10000 WHERE "Id" = @channel;
                UPDATE channel_members SET "LastReadSeq" = 10000 WHERE "ChannelId" = @channel;
                """, db);
            seed.Parameters.AddWithValue("channel", big);
            seed.Parameters.AddWithValue("sender", bigAuth["user"]!["id"]!.GetValue<Guid>());
            await seed.ExecuteNonQueryAsync();
        }
        (await ada.PostAsync($"/api/channels/{channel}/read?seq=30", null)).EnsureSuccessStatusCode();

        var bigChannelName = await NameAsync(bigOwner, big);
        var config = new JsonObject
        {
            ["url"] = url,
            ["lighthouseRuns"] = LighthouseRuns,
            ["channel"] = new JsonObject { ["session"] = Session(adaAuth) },
            ["big"] = new JsonObject
            {
                ["session"] = Session(bigAuth), ["channel"] = bigChannelName, ["otherChannel"] = await NameAsync(bigOwner, other),
                ["newest"] = "message number 10000",
            },
        };
        var configFile = Path.Combine(Path.GetTempPath(), $"web-bench-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(configFile, config.ToJsonString());
        string output;
        try
        {
            output = await RunAsync("node", $"{Path.Combine(web, "web-bench.mjs")} {configFile}");
        }
        finally
        {
            File.Delete(configFile);
        }
        Console.WriteLine($"web-bench.mjs: {output.Trim().Split('\n')[^1]}");
        var result = JsonDocument.Parse(output.Trim().Split('\n')[^1]).RootElement;
        static string Scores(JsonElement r) => $"{r.GetProperty("performance")}/{r.GetProperty("accessibility")}/{r.GetProperty("bestPractices")}";
        static string Row(string what, JsonElement r) => string.Create(CultureInfo.InvariantCulture,
            $"| {what} | {Scores(r)} | {r.GetProperty("runs")} | {r.GetProperty("fcp")} | {r.GetProperty("lcp")} | {r.GetProperty("tbt")} | {r.GetProperty("cls").GetDouble():F3} | {string.Join(", ", r.GetProperty("failing").EnumerateArray())} |");
        var login = result.GetProperty("login");
        var ordinary = result.GetProperty("channel");
        var tenK = result.GetProperty("big");
        var scroll = result.GetProperty("scroll");
        var line = $"web: lighthouse login {Scores(login)}, channel {Scores(ordinary)}; 10k channel first render {scroll.GetProperty("firstRender")} ms, max message nodes {scroll.GetProperty("maxRows")}";
        var report = string.Create(CultureInfo.InvariantCulture, $"""
            # Web page benchmark

            {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, commit {Repo.Git("rev-parse --short HEAD")}, {Environment.ProcessorCount} cores, Debian Chromium, Lighthouse 12.2.3
            (its default: mobile profile, simulated throttling), the whole AppHost in Release with telemetry on.
            Command: `dotnet build bench/Chat.Bench -c Release && dotnet bench/Chat.Bench/bin/Release/net10.0/Chat.Bench.dll web --save`.

            Lighthouse ran {LighthouseRuns} times per page; the run with the median performance score is shown.

            | page | perf/a11y/best practices | performance of each run | FCP ms | LCP ms | TBT ms | CLS | failing audits |
            |---|---|---|---|---|---|---|---|
            {Row("sign-in", login)}
            {Row("channel, 30 messages", ordinary)}
            {Row("channel, 10,000 messages", tenK)}

            The 10,000-message channel in Chromium (1280×800), opened cold from another channel: the newest message on screen
            {scroll.GetProperty("firstRender")} ms after the click. Scrolled to its first message, 50 a page, in {scroll.GetProperty("walkSeconds").GetDouble():F1} s:
            at most {scroll.GetProperty("maxRows")} rows in the message list (the window is 250 messages plus day separators), {scroll.GetProperty("domNodes")} elements in the whole page at the end.

            Also: `web-10k: lighthouse channel10k {Scores(tenK)}`

            ```
            {line}
            ```
            """);
        Console.WriteLine(report);
        await Repo.SaveResultAsync("web-bench.md", report + Environment.NewLine);
        Console.WriteLine(line);
        return 0;
    }

    private static async Task<(HttpClient Client, JsonNode Auth)> RegisterAsync(DistributedApplication app, string prefix)
    {
        using var anonymous = app.CreateHttpClient(ResourceNames.Api);
        var userName = $"{prefix}-{Guid.NewGuid():N}"[..16];
        using var response = await anonymous.PostAsJsonAsync("/api/auth/register", new { userName, password = Password });
        response.EnsureSuccessStatusCode();
        var auth = (await response.Content.ReadFromJsonAsync<JsonNode>())!;
        return (BenchApp.Client(app, ResourceNames.Api, auth["tokens"]!["accessToken"]!.GetValue<string>()), auth);
    }

    /// <summary>What the page keeps in localStorage after a sign-in.</summary>
    private static JsonObject Session(JsonNode auth) => new()
    {
        ["accessToken"] = auth["tokens"]!["accessToken"]!.GetValue<string>(),
        ["refreshToken"] = auth["tokens"]!["refreshToken"]!.GetValue<string>(),
        ["user"] = auth["user"]!.DeepClone(),
    };

    private static async Task<Guid> CreateChannelAsync(HttpClient owner, string prefix)
    {
        using var response = await owner.PostAsJsonAsync("/api/channels", new { name = $"{prefix}-{Guid.NewGuid():N}"[..14], kind = "private" });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }

    private static async Task<string> NameAsync(HttpClient owner, Guid channel) =>
        (await owner.GetFromJsonAsync<JsonElement>($"/api/channels/{channel}")).GetProperty("name").GetString()!;

    /// <summary>Posts one message, waiting out the per-person send limit when it answers 429.</summary>
    private static async Task PostAsync(HttpClient author, Guid channel, string content)
    {
        while (true)
        {
            using var response = await author.PostAsJsonAsync($"/api/channels/{channel}/messages", new { content, clientMessageId = Guid.NewGuid() });
            if ((int)response.StatusCode != 429)
            {
                response.EnsureSuccessStatusCode();
                return;
            }
            await Task.Delay(response.Headers.RetryAfter?.Delta ?? TimeSpan.FromMilliseconds(250));
        }
    }

    private static async Task<string> RunAsync(string file, string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {arguments} exited with {process.ExitCode}: {await stderr}");
        }
        return await stdout;
    }
}
