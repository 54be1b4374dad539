using ChatAspire.Tests.Infrastructure;
using Microsoft.Playwright;

namespace ChatAspire.Tests.Web;

[Collection(BrowserCollection.Name)]
public sealed class WebChatTests(AppHostFixture fixture) : IAsyncLifetime
{
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;

    private string Url => fixture.ProxyClient(ResourceNames.Api).BaseAddress!.ToString().TrimEnd('/');

    public async ValueTask InitializeAsync() => (_playwright, _browser) = await Browsers.LaunchAsync();

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }

    [Fact]
    public async Task Two_people_chat_live_in_a_private_channel_history_survives_a_reload_and_markup_stays_text()
    {
        var (alice, aliceName) = await SignUpAsync("alice");
        var (bob, bobName) = await SignUpAsync("bob");
        var channel = $"team-{Guid.NewGuid():N}"[..16];

        await alice.GetByLabel("New channel").FillAsync(channel);
        await alice.GetByLabel("private").CheckAsync();
        await alice.GetByRole(AriaRole.Button, new() { Name = "Create" }).ClickAsync();
        await Expect(alice.Locator("#channel-title")).ToHaveTextAsync(channel);
        await Expect(alice.Locator("#member-list")).ToContainTextAsync("(owner)");
        await alice.GetByLabel("Invite").FillAsync(bobName);
        await alice.GetByRole(AriaRole.Button, new() { Name = "Invite", Exact = true }).ClickAsync();
        await ChatPages.NoErrorAsync(alice, () => Expect(alice.Locator("#member-list")).ToContainTextAsync(bobName));

        // Bob is told about the invitation live and opens the channel.
        await bob.Locator("#channel-list button", new() { HasText = channel }).ClickAsync();
        await Expect(bob.Locator("#channel-title")).ToHaveTextAsync(channel);

        await SendAsync(alice, "hello from alice");
        await Expect(bob.Locator("#messages")).ToContainTextAsync("hello from alice");
        await SendAsync(bob, "hi alice, bob here");
        await Expect(alice.Locator("#messages")).ToContainTextAsync("hi alice, bob here");

        const string hostile = "<script>window.__pwned = 1</script><img src=x onerror=\"window.__pwned = 2\">";
        await SendAsync(alice, hostile);
        var rendered = bob.Locator(".message .content", new() { HasText = "<script>" });
        await Expect(rendered).ToHaveTextAsync(hostile);
        Assert.Equal(0, await bob.Locator("#messages img:not(.preview)").CountAsync());
        Assert.Null(await bob.EvaluateAsync<int?>("() => window.__pwned"));

        await bob.ReloadAsync();
        await Expect(bob.Locator("#channel-title")).ToHaveTextAsync(channel);
        await Expect(bob.Locator("#messages")).ToContainTextAsync("hello from alice");
        await Expect(bob.Locator("#messages")).ToContainTextAsync("hi alice, bob here");
        await Expect(bob.Locator("#status")).ToHaveTextAsync("Connected");
    }

    [Fact]
    public async Task The_page_is_served_by_the_api_with_a_strict_content_security_policy_and_no_outside_assets()
    {
        using var http = fixture.ProxyClient(ResourceNames.Api);

        using var page = await http.GetAsync("/");
        var html = await page.Content.ReadAsStringAsync();
        var csp = page.Headers.GetValues("Content-Security-Policy").Single();

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.DoesNotMatch("(src|href)=\"(https?:)?//", html); // nothing from a CDN
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/lib/signalr/signalr.min.js")).StatusCode);
    }

    [Fact]
    public async Task After_a_network_drop_the_page_shows_the_missed_messages_once()
    {
        var (alice, aliceName) = await SignUpAsync("al");
        var link = new HubLink();
        var (bob, bobName) = await SignUpAsync("bo", link: link);
        var channel = await ChatPages.CreateChannelAsync(alice, "drop", bobName);
        await ChatPages.OpenChannelAsync(bob, channel);
        await SendAsync(alice, "before the drop");
        await Expect(bob.Locator("#messages")).ToContainTextAsync("before the drop");

        await link.DropAsync();
        await Expect(bob.Locator("#status")).Not.ToHaveTextAsync("Connected", new() { Timeout = 15000 });
        for (var i = 1; i <= 3; i++)
        {
            await SendAsync(alice, $"missed while offline {i}");
        }
        link.Restore();

        await Expect(bob.Locator("#status")).ToHaveTextAsync("Connected", new() { Timeout = 20000 });
        for (var i = 1; i <= 3; i++)
        {
            await Expect(bob.Locator(".message .content", new() { HasTextString = $"missed while offline {i}" })).ToHaveCountAsync(1);
        }
        _ = aliceName;
    }

    [Fact]
    public async Task Attaching_an_image_shows_progress_then_a_preview_and_download_link_for_the_other_member_and_bad_files_show_an_error()
    {
        var (alice, _) = await SignUpAsync("at");
        var (bob, bobName) = await SignUpAsync("bt");
        var channel = await ChatPages.CreateChannelAsync(alice, "files", bobName);
        await ChatPages.OpenChannelAsync(bob, channel);

        await alice.Locator("#file-input").SetInputFilesAsync(new FilePayload { Name = "dot.png", MimeType = "image/png", Buffer = Samples.TinyPng() });
        await Expect(alice.Locator("#attachment")).ToContainTextAsync("dot.png — ready");
        Assert.Equal("100", await alice.Locator("#attachment progress").GetAttributeAsync("value"));
        await alice.GetByLabel("Message", new() { Exact = true }).FillAsync("a picture");
        await alice.GetByRole(AriaRole.Button, new() { Name = "Send" }).ClickAsync();

        await Expect(bob.Locator(".message", new() { HasText = "a picture" }).Locator("img.preview")).ToBeVisibleAsync();
        await Expect(bob.Locator(".message", new() { HasText = "a picture" }).GetByRole(AriaRole.Link)).ToContainTextAsync("dot.png");

        await alice.Locator("#file-input").SetInputFilesAsync(new FilePayload { Name = "setup.pdf", MimeType = "application/pdf", Buffer = Samples.Executable() });
        await Expect(alice.Locator("#error")).ToContainTextAsync("Accepted:");
        await Expect(alice.Locator("#attachment")).ToBeHiddenAsync();
    }

    [Fact]
    public async Task Asking_the_assistant_about_an_attached_document_shows_the_reply_with_a_source_to_open()
    {
        var (alice, _) = await SignUpAsync("as");
        await ChatPages.CreateChannelAsync(alice, "ask");
        await BusyChannelAsync(alice);
        await alice.Locator("#file-input").SetInputFilesAsync(new FilePayload
        {
            Name = "policy.md", MimeType = "text/markdown",
            Buffer = System.Text.Encoding.UTF8.GetBytes($"# Travel\n\nTrain tickets are reimbursed in second class only. Ref {Guid.NewGuid():N}.\n"),
        });
        await Expect(alice.Locator("#attachment")).ToContainTextAsync("policy.md — ready");
        await SendAsync(alice, "our travel policy");

        // The page follows the indexing of the upload; the test also checks through the RAG API.
        await Expect(alice.Locator("#documents")).ToHaveTextAsync("policy.md: ready for the assistant", new() { Timeout = 120_000 });
        var token = await alice.EvaluateAsync<string>("() => window.__chat.session.accessToken");
        var fileId = await alice.EvaluateAsync<string>("() => [...window.__chat.logs.values()].flatMap(l => [...l.bySeq.values()]).find(m => m.attachments.length).attachments[0]");
        using (var rag = fixture.ProxyClient(ResourceNames.Rag))
        {
            rag.DefaultRequestHeaders.Authorization = new("Bearer", token);
            await Poll.UntilAsync(async () => (await rag.GetStringAsync($"/api/rag/documents/by-file/{fileId}").ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : ""))
                .Contains("\"ready\"", StringComparison.Ordinal), TimeSpan.FromSeconds(120), "the document to be ingested");
        }

        await alice.GetByLabel("Message", new() { Exact = true }).FillAsync("Which class are train tickets reimbursed in?");
        await alice.GetByRole(AriaRole.Button, new() { Name = "Ask assistant" }).ClickAsync();
        var reply = alice.Locator(".message.ai");
        await Expect(reply.Locator(".content")).ToContainTextAsync("second class");
        await Expect(reply.Locator(".citation")).ToContainTextAsync("[1] policy.md — Travel");
        await Expect(alice.Locator(".ai-stream")).ToHaveCountAsync(0); // the in-progress block is gone once the reply is posted
        // A system account looks like one (its own frame, icon and tag), which no person's message can (issue #13).
        await Expect(reply).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("system-author"));
        await Expect(reply.Locator(".sender.system .system-tag")).ToHaveTextAsync("system");
        await Expect(alice.Locator(".message:not(.ai) .system-tag")).ToHaveCountAsync(0);
        // The answer is Markdown: its quotes are a list.
        await Expect(reply.Locator(".content li").First).ToContainTextAsync("second class");

        await ScreenshotsAsync(alice, reply);
    }

    [Fact]
    public async Task Requests_that_meet_an_expired_access_token_at_once_share_one_refresh_and_all_succeed()
    {
        var (page, name) = await SignUpAsync("rf");
        var userId = await page.EvaluateAsync<string>("() => window.__chat.session.user.id");
        var expired = Tokens.AccessToken(Guid.Parse(userId), name, TimeSpan.FromMinutes(10), issuedAgo: TimeSpan.FromHours(1));
        var refreshes = 0;
        page.Request += (_, r) => { if (r.Url.EndsWith("/api/auth/refresh", StringComparison.Ordinal)) { Interlocked.Increment(ref refreshes); } };
        await page.EvaluateAsync("t => { window.__chat.session.accessToken = t; }", expired);

        var results = await page.EvaluateAsync<string[]>("""
            () => Promise.allSettled([1, 2, 3, 4, 5, 6].map((i) => i % 2 ? window.__chat.api("/api/channels") : window.__chat.api("/api/auth/me")))
              .then((all) => all.map((r) => r.status))
            """);

        Assert.All(results, r => Assert.Equal("fulfilled", r));
        Assert.Equal(1, refreshes);
        var stored = await page.EvaluateAsync<string>("() => JSON.parse(localStorage.getItem('chataspire.session')).accessToken");
        Assert.NotEqual(expired, stored);
        Assert.Equal(stored, await page.EvaluateAsync<string>("() => window.__chat.session.accessToken"));
        await Expect(page.Locator("#app")).ToBeVisibleAsync();
        await Expect(page.Locator("#auth")).ToBeHiddenAsync();
    }

    /// <summary>
    /// What the team wrote in the open channel before (for the screenshots): yesterday's messages, grouped, then two from
    /// this morning that are still unread, with emoji; straight into chatdb for their times. The page reloads and shows
    /// the day separators and the "New messages" line.
    /// </summary>
    private async Task BusyChannelAsync(IPage page)
    {
        var ids = await page.EvaluateAsync<System.Text.Json.JsonElement>("() => ({ user: window.__chat.session.user.id, channel: window.__chat.current })");
        var channel = Guid.Parse(ids.GetProperty("channel").GetString()!);
        var me = Guid.Parse(ids.GetProperty("user").GetString()!);
        var grace = await ChatUsers.RegisterAsync(fixture.ProxyClient(ResourceNames.Api).BaseAddress!, "grace");
        await page.EvaluateAsync("([channel, user]) => window.__chat.api(`/api/channels/${channel}/members`, { method: 'POST', json: { userId: user } })",
            new object[] { channel.ToString(), grace.Id.ToString() });
        (Guid Sender, string Text, TimeSpan Ago)[] lines =
        [
            (grace.Id, "Travel is booked for the offsite 🚆", TimeSpan.FromHours(26)),
            (grace.Id, "Hotel too: the one by the station 🏨", TimeSpan.FromHours(25.98)),
            (grace.Id, "Receipts go to finance by **Friday**", TimeSpan.FromHours(25.95)),
            (me, "Thanks! I'll put the policy in here 👍", TimeSpan.FromHours(25.5)),
            (grace.Id, "Morning ☀️ did the policy land?", TimeSpan.FromHours(2)),
            (grace.Id, "Ask the assistant about it 🎉", TimeSpan.FromHours(1.98)),
        ];
        await using var db = new Npgsql.NpgsqlConnection(await fixture.ConnectionStringAsync(ResourceNames.ChatDb));
        await db.OpenAsync();
        for (var i = 0; i < lines.Length; i++)
        {
            await using var insert = new Npgsql.NpgsqlCommand("""
                INSERT INTO messages ("Id", "ChannelId", "Seq", "SenderId", "Type", "Content", "Attachments", "Mentions", "CreatedAt")
                VALUES (gen_random_uuid(), @channel, @seq, @sender, 'user', @text, '{}', '{}', now() - @ago);
                UPDATE channels SET "LastSeq" = @seq WHERE "Id" = @channel;
                UPDATE channel_members SET "LastReadSeq" = 4 WHERE "ChannelId" = @channel AND "UserId" = @me;
                """, db);
            insert.Parameters.AddWithValue("channel", channel);
            insert.Parameters.AddWithValue("seq", (long)i + 1);
            insert.Parameters.AddWithValue("sender", lines[i].Sender);
            insert.Parameters.AddWithValue("text", lines[i].Text);
            insert.Parameters.AddWithValue("ago", lines[i].Ago);
            insert.Parameters.AddWithValue("me", me);
            await insert.ExecuteNonQueryAsync();
        }
        await page.ReloadAsync();
        await Expect(page.Locator("#status")).ToHaveTextAsync("Connected");
        await Expect(page.Locator("#messages .new-messages")).ToBeVisibleAsync();
        Assert.True(await page.Locator("#messages .day-separator").CountAsync() >= 2, "yesterday's and today's messages are apart");
    }

    private Task<(IPage Page, string UserName)> SignUpAsync(string prefix, ViewportSize? viewport = null, HubLink? link = null) =>
        new ChatPages(_browser, Url).SignUpAsync(prefix, viewport, link);

    private static Task SendAsync(IPage page, string text) => ChatPages.SendAsync(page, text);

    /// <summary>
    /// Desktop and phone-width views of a conversation with a formatted message, a reaction and an assistant answer with
    /// its sources; written to docs/screenshots when CHATASPIRE_SCREENSHOTS is set.
    /// </summary>
    private async Task ScreenshotsAsync(IPage page, ILocator reply)
    {
        var dir = Environment.GetEnvironmentVariable("CHATASPIRE_SCREENSHOTS") is { Length: > 0 }
            ? RepoPaths.Combine("docs", "screenshots")
            : Path.Combine(Path.GetTempPath(), $"chataspire-screens-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        await ChatPages.SendAsync(page, "**Summary** for the team:\n- trains: *second class* only\n- see `policy.md`, section _Travel_", shows: "for the team");
        await reply.GetByRole(AriaRole.Button, new() { Name = "React", Exact = true }).ClickAsync();
        await reply.GetByRole(AriaRole.Button, new() { Name = "React with 👍" }).ClickAsync();
        await Expect(reply.Locator(".reactions button")).ToHaveTextAsync("👍 1");
        await page.Locator("#messages").EvaluateAsync("list => list.scrollTop = list.scrollHeight");
        await page.ScreenshotAsync(new() { Path = Path.Combine(dir, "chat-desktop.png") });
        await page.GetByRole(AriaRole.Button, new() { Name = "Dark theme" }).ClickAsync();
        await page.ScreenshotAsync(new() { Path = Path.Combine(dir, "chat-dark.png") });
        await page.GetByRole(AriaRole.Button, new() { Name = "Dark theme" }).ClickAsync();
        await page.SetViewportSizeAsync(390, 844);
        if (await page.Locator("#toggle-sidebar").GetAttributeAsync("aria-expanded") == "true")
        {
            await page.Locator("#toggle-sidebar").ClickAsync(); // on a phone the channel list folds away once a channel is open
        }
        await page.Locator("#messages").EvaluateAsync("list => list.scrollTop = list.scrollHeight");
        await page.ScreenshotAsync(new() { Path = Path.Combine(dir, "chat-phone.png") });
        var login = await (await _browser.NewContextAsync(new() { ViewportSize = new() { Width = 1280, Height = 800 } })).NewPageAsync();
        await login.GotoAsync(Url);
        await login.ScreenshotAsync(new() { Path = Path.Combine(dir, "login-desktop.png") });
        Assert.True(File.Exists(Path.Combine(dir, "chat-phone.png")));
    }

    private static ILocatorAssertions Expect(ILocator locator) => Assertions.Expect(locator);
}

/// <summary>
/// Sits between the page and the hub's WebSocket, so a test can cut the network: <see cref="DropAsync"/> closes the
/// live socket and refuses new ones until <see cref="Restore"/>.
/// </summary>
public sealed class HubLink
{
    private readonly List<IWebSocketRoute> _open = [];
    private volatile bool _up = true;

    public void Handle(IWebSocketRoute route)
    {
        if (!_up)
        {
            _ = route.CloseAsync(new() { Code = 1006, Reason = "network down (test)" });
            return;
        }
        route.ConnectToServer();
        lock (_open)
        {
            _open.Add(route);
        }
    }

    public async Task DropAsync()
    {
        _up = false;
        IWebSocketRoute[] open;
        lock (_open)
        {
            open = [.. _open];
            _open.Clear();
        }
        foreach (var route in open)
        {
            await route.CloseAsync(new() { Code = 1006, Reason = "network down (test)" });
        }
    }

    public void Restore() => _up = true;
}
