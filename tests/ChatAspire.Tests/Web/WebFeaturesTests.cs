using ChatAspire.Tests.Infrastructure;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace ChatAspire.Tests.Web;

/// <summary>
/// The web page as a team uses it (issue #17), in real Chromium: Markdown, search, mentions, threads, reactions, typing,
/// and an axe-core accessibility audit.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class WebFeaturesTests(AppHostFixture fixture) : IAsyncLifetime
{
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;
    private ChatPages _pages = null!;

    private string Url => fixture.ProxyClient(ResourceNames.Api).BaseAddress!.ToString().TrimEnd('/');

    public async ValueTask InitializeAsync()
    {
        (_playwright, _browser) = await Browsers.LaunchAsync();
        _pages = new ChatPages(_browser, Url);
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }

    [Fact]
    public async Task Markdown_renders_for_the_other_member_while_html_scripts_and_javascript_links_do_not_run()
    {
        var (alice, _) = await _pages.SignUpAsync("md");
        var (bob, bobName) = await _pages.SignUpAsync("mb");
        var channel = await ChatPages.CreateChannelAsync(alice, "md", bobName);
        await ChatPages.OpenChannelAsync(bob, channel);

        const string text = """
            **bold words** and _leaning words_ with `inline code`
            - first item
            - second item

            ```
            var fenced = "block";
            ```
            > a quoted line

            [the site](https://example.org/docs) and [a trap](javascript:window.__pwned=3) <img src=x onerror="window.__pwned=2"><script>window.__pwned=1</script>
            """;
        await alice.GetByLabel("Message", new() { Exact = true }).FillAsync(text);
        await alice.GetByLabel("Message", new() { Exact = true }).PressAsync("Enter");

        var message = bob.Locator(".message", new() { HasText = "bold words" });
        await Expect(message.Locator(".content strong")).ToHaveTextAsync("bold words");
        await Expect(message.Locator(".content em")).ToHaveTextAsync("leaning words");
        await Expect(message.Locator(".content p code")).ToHaveTextAsync("inline code");
        await Expect(message.Locator(".content ul > li")).ToHaveTextAsync(["first item", "second item"]);
        await Expect(message.Locator(".content pre > code")).ToHaveTextAsync("var fenced = \"block\";");
        await Expect(message.Locator(".content blockquote")).ToContainTextAsync("a quoted line");
        var link = message.Locator(".content a", new() { HasText = "the site" });
        await Expect(link).ToHaveAttributeAsync("href", "https://example.org/docs");
        await Expect(link).ToHaveAttributeAsync("rel", "noopener noreferrer");
        await Expect(link).ToHaveAttributeAsync("target", "_blank");

        // Raw HTML shows as the text it is; the javascript: link keeps its words but loses its address.
        await Expect(message.Locator(".content")).ToContainTextAsync("<script>window.__pwned=1</script>");
        await Expect(message.Locator(".content")).ToContainTextAsync("<img src=x onerror=");
        Assert.Equal(0, await bob.Locator("#messages script, #messages img, #messages [onerror]").CountAsync());
        var trap = message.Locator(".content a", new() { HasText = "a trap" });
        Assert.Null(await trap.GetAttributeAsync("href"));
        await trap.ClickAsync();
        Assert.Null(await bob.EvaluateAsync<int?>("() => window.__pwned"));
        Assert.Null(await alice.EvaluateAsync<int?>("() => window.__pwned"));
    }

    [Fact]
    public async Task Search_finds_a_message_in_another_channel_and_opens_it_in_context_with_the_hit_highlighted()
    {
        var (alice, _) = await _pages.SignUpAsync("se");
        var first = await ChatPages.CreateChannelAsync(alice, "old");
        var word = $"zebra{Guid.NewGuid():N}"[..14];
        await ChatPages.SendAsync(alice, $"the {word} plan is ready");
        var channelId = await alice.EvaluateAsync<string>("() => window.__chat.current");
        // Enough messages after the hit that it is not on the first page of history.
        await alice.EvaluateAsync("""
            async ([channelId, count]) => {
              for (let i = 0; i < count; i++) {
                for (;;) {
                  try { await window.__chat.api(`/api/channels/${channelId}/messages`, { method: "POST", json: { content: `filler ${i}`, clientMessageId: crypto.randomUUID() } }); break; }
                  catch { await new Promise((r) => setTimeout(r, 200)); } // 429 while the send bucket refills
                }
              }
            }
            """, new object[] { channelId, 60 });
        var now = await ChatPages.CreateChannelAsync(alice, "now");
        await alice.ReloadAsync(); // a fresh page: nothing of the first channel is loaded
        await Expect(alice.Locator("#status")).ToHaveTextAsync("Connected");
        await ChatPages.OpenChannelAsync(alice, now);

        await alice.GetByRole(AriaRole.Searchbox, new() { Name = "Search messages" }).FillAsync(word);
        await alice.GetByRole(AriaRole.Searchbox, new() { Name = "Search messages" }).PressAsync("Enter");

        var hit = alice.Locator("#side-list .hit-button");
        await ChatPages.NoErrorAsync(alice, () => Expect(hit).ToHaveCountAsync(1));
        await Expect(hit.Locator("mark")).ToHaveTextAsync(word);
        await Expect(hit.Locator(".meta")).ToContainTextAsync(first);
        await hit.ClickAsync();

        await Expect(alice.Locator("#channel-title")).ToHaveTextAsync(first);
        var target = alice.Locator("#messages .message", new() { HasTextString = word });
        await Expect(target).ToBeInViewportAsync();
        await Expect(target).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("highlight"));
        await Expect(target).ToBeFocusedAsync();
        // In context: its neighbours are loaded around it, and the newest message is there too (no gap).
        await Expect(alice.Locator("#messages .message", new() { HasTextString = "filler 0" })).ToHaveCountAsync(1);
        await Expect(alice.Locator("#messages .message", new() { HasTextString = "filler 59" })).ToHaveCountAsync(1);
        var seqs = await alice.EvaluateAsync<long[]>("() => [...document.querySelectorAll('#messages li.message')].map(li => Number(li.dataset.seq))");
        Assert.Equal(Enumerable.Range((int)seqs[0], seqs.Length).Select(i => (long)i), seqs);
    }

    [Fact]
    public async Task A_mention_completes_badges_the_other_members_channel_lists_them_and_notifies_a_hidden_tab()
    {
        var (alice, aliceName) = await _pages.SignUpAsync("ma");
        var (bob, bobName) = await _pages.SignUpAsync("mb", prepare: HiddenTabWithNotificationsAsync);
        var team = await ChatPages.CreateChannelAsync(alice, "team", bobName);
        var elsewhere = await ChatPages.CreateChannelAsync(bob, "else");
        await Expect(alice.Locator("#member-list")).ToContainTextAsync(bobName);

        // @ + the start of the name offers bob; Enter takes the suggestion (and does not send).
        var composer = alice.GetByLabel("Message", new() { Exact = true });
        await composer.FillAsync("");
        await composer.PressSequentiallyAsync("please look @" + bobName[..4]);
        var option = alice.GetByRole(AriaRole.Option, new() { Name = $"@{bobName}" });
        await Expect(option).ToBeVisibleAsync();
        await Expect(option).ToHaveAttributeAsync("aria-selected", "true");
        await composer.PressAsync("Enter");
        await Expect(composer).ToHaveValueAsync($"please look @{bobName} ");
        await composer.PressSequentiallyAsync("at the numbers");
        await composer.PressAsync("Enter");
        await Expect(alice.Locator(".message .content", new() { HasTextString = "at the numbers" })).ToBeVisibleAsync();

        // Bob is in another channel: the team channel gets a mention badge, and the hidden tab a notification.
        await Expect(bob.Locator("#channel-title")).ToHaveTextAsync(elsewhere);
        var badge = bob.Locator("#channel-list button", new() { HasText = team }).Locator(".badge.mention");
        await Expect(badge).ToHaveTextAsync("@1");
        await Expect(bob.Locator("#mention-total")).ToHaveTextAsync("1");
        var notes = await bob.EvaluateAsync<string[]>("() => window.__notifications");
        Assert.Equal($"{aliceName} mentioned you in {team}", Assert.Single(notes));

        // The count is the server's: it survives a reload.
        await bob.ReloadAsync();
        await Expect(bob.Locator("#status")).ToHaveTextAsync("Connected");
        await Expect(bob.Locator("#channel-list button", new() { HasText = team }).Locator(".badge.mention")).ToHaveTextAsync("@1");

        // The mentions view lists it, and opening it clears the badge.
        await bob.GetByRole(AriaRole.Button, new() { Name = "Mentions" }).ClickAsync();
        var listed = bob.Locator("#side-list .hit-button");
        await Expect(listed).ToHaveCountAsync(1);
        await Expect(listed).ToContainTextAsync("at the numbers");
        await Expect(listed.Locator(".mention.me")).ToHaveTextAsync($"@{bobName}");
        await listed.ClickAsync();
        await Expect(bob.Locator("#channel-title")).ToHaveTextAsync(team);
        await Expect(bob.Locator("#channel-list .badge.mention")).ToHaveCountAsync(0);
        await Expect(bob.Locator("#messages .message.mentions-me")).ToHaveCountAsync(1);
    }

    [Fact]
    public async Task A_thread_panel_shows_replies_live_and_the_reply_count_follows()
    {
        var (alice, _) = await _pages.SignUpAsync("ta");
        var (bob, bobName) = await _pages.SignUpAsync("tb");
        var channel = await ChatPages.CreateChannelAsync(alice, "thr", bobName);
        await ChatPages.OpenChannelAsync(bob, channel);
        await ChatPages.SendAsync(alice, "shall we ship on friday?");

        var root = bob.Locator("#messages .message", new() { HasText = "shall we ship on friday?" });
        await root.GetByRole(AriaRole.Button, new() { Name = "Reply in thread" }).ClickAsync();
        var panel = bob.Locator("#side-panel");
        await Expect(panel.Locator("#side-title")).ToHaveTextAsync("Thread");
        await Expect(panel.Locator(".message").First).ToContainTextAsync("shall we ship on friday?");
        await Expect(panel.Locator("#side-summary")).ToHaveTextAsync("0 replies");

        // Alice answers in her own thread panel: bob's panel shows it live, and his channel shows the count.
        await alice.Locator("#messages .message", new() { HasText = "shall we ship on friday?" })
            .GetByRole(AriaRole.Button, new() { Name = "Reply in thread" }).ClickAsync();
        await alice.GetByLabel("Reply in thread").FillAsync("yes, after the review");
        await alice.GetByLabel("Reply in thread").PressAsync("Enter");
        await Expect(panel.Locator(".message", new() { HasText = "yes, after the review" })).ToBeVisibleAsync();
        await Expect(panel.Locator("#side-summary")).ToHaveTextAsync("1 reply");
        await Expect(root.Locator(".reply-count")).ToHaveTextAsync("1 reply");

        // Bob answers in the panel; both see two replies; a reload keeps the count (from the server).
        await bob.GetByLabel("Reply in thread").FillAsync("great, I will prepare the notes");
        await bob.GetByLabel("Reply in thread").PressAsync("Enter");
        await Expect(alice.Locator("#side-panel .message", new() { HasText = "I will prepare the notes" })).ToBeVisibleAsync();
        await Expect(alice.Locator("#side-summary")).ToHaveTextAsync("2 replies");
        await alice.ReloadAsync();
        await Expect(alice.Locator("#messages .message", new() { HasText = "shall we ship on friday?" }).Locator(".reply-count")).ToHaveTextAsync("2 replies");
        await alice.Locator(".reply-count").ClickAsync();
        await Expect(alice.Locator("#side-panel .message")).ToHaveCountAsync(3);
        await alice.Keyboard.PressAsync("Escape");
        await Expect(alice.Locator("#side-panel")).ToBeHiddenAsync();
    }

    [Fact]
    public async Task The_reaction_picker_adds_and_removes_reactions_by_mouse_and_keyboard_and_shows_who_reacted()
    {
        var (alice, aliceName) = await _pages.SignUpAsync("ra");
        var (bob, bobName) = await _pages.SignUpAsync("rb");
        var channel = await ChatPages.CreateChannelAsync(alice, "rx", bobName);
        await ChatPages.OpenChannelAsync(bob, channel);
        await ChatPages.SendAsync(alice, "the release is out");
        await Expect(bob.Locator("#member-list")).ToContainTextAsync(aliceName);

        var onBob = bob.Locator("#messages .message", new() { HasText = "the release is out" });
        await onBob.GetByRole(AriaRole.Button, new() { Name = "React", Exact = true }).ClickAsync();
        await Expect(onBob.Locator(".picker button")).ToHaveCountAsync(8);
        await onBob.GetByRole(AriaRole.Button, new() { Name = "React with 🎉" }).ClickAsync();

        var onAlice = alice.Locator("#messages .message", new() { HasText = "the release is out" });
        var chip = onAlice.Locator(".reactions button", new() { HasText = "🎉" });
        await Expect(chip).ToHaveTextAsync("🎉 1");
        await Expect(chip).ToHaveAttributeAsync("title", $"🎉 by {bobName}");
        await Expect(onBob.Locator(".picker")).ToHaveCountAsync(0);

        // By keyboard: focus React, Enter opens the picker with the focus on its first emoji, arrows move, Enter picks.
        await onBob.GetByRole(AriaRole.Button, new() { Name = "React", Exact = true }).FocusAsync();
        await bob.Keyboard.PressAsync("Enter");
        await Expect(onBob.GetByRole(AriaRole.Button, new() { Name = "React with 👍" })).ToBeFocusedAsync();
        await bob.Keyboard.PressAsync("ArrowRight");
        await Expect(onBob.GetByRole(AriaRole.Button, new() { Name = "React with ❤️" })).ToBeFocusedAsync();
        await bob.Keyboard.PressAsync("Enter");
        await Expect(onAlice.Locator(".reactions button", new() { HasText = "❤️" })).ToHaveTextAsync("❤️ 1");
        await Expect(onBob.GetByRole(AriaRole.Button, new() { Name = "React", Exact = true })).ToBeFocusedAsync();

        // Picking a reaction I gave takes it back; Escape closes the picker.
        await onBob.GetByRole(AriaRole.Button, new() { Name = "React", Exact = true }).ClickAsync();
        await Expect(onBob.GetByRole(AriaRole.Button, new() { Name = "React with 🎉" })).ToHaveAttributeAsync("aria-pressed", "true");
        await onBob.GetByRole(AriaRole.Button, new() { Name = "React with 🎉" }).ClickAsync();
        await Expect(onAlice.Locator(".reactions button", new() { HasText = "🎉" })).ToHaveCountAsync(0);
        await onBob.GetByRole(AriaRole.Button, new() { Name = "React", Exact = true }).ClickAsync();
        await bob.Keyboard.PressAsync("Escape");
        await Expect(onBob.Locator(".picker")).ToHaveCountAsync(0);
        await Expect(onAlice.Locator(".reactions button", new() { HasText = "❤️" })).ToHaveTextAsync("❤️ 1");
    }

    [Fact]
    public async Task The_typing_line_clears_when_the_message_arrives_and_after_a_few_seconds_without_one()
    {
        var (alice, aliceName) = await _pages.SignUpAsync("ty");
        var (bob, bobName) = await _pages.SignUpAsync("tz");
        var channel = await ChatPages.CreateChannelAsync(alice, "typ", bobName);
        await ChatPages.OpenChannelAsync(bob, channel);

        var composer = bob.GetByLabel("Message", new() { Exact = true });
        await composer.PressSequentiallyAsync("on my way");
        await Expect(alice.Locator("#typing")).ToHaveTextAsync($"{bobName} is typing…");
        await composer.PressAsync("Enter");
        await Expect(alice.Locator(".message .content", new() { HasTextString = "on my way" })).ToBeVisibleAsync();
        // Well before the 4-second expiry: the message itself cleared the line.
        await Expect(alice.Locator("#typing")).ToHaveTextAsync("", new() { Timeout = 1500 });

        // Typing that is not sent: the line goes after a few seconds.
        await alice.GetByLabel("Message", new() { Exact = true }).PressSequentiallyAsync("hmm");
        await Expect(bob.Locator("#typing")).ToHaveTextAsync($"{aliceName} is typing…");
        await Expect(bob.Locator("#typing")).ToHaveTextAsync("", new() { Timeout = 8000 });
    }

    [Fact]
    public async Task Axe_finds_no_serious_or_critical_violations_on_the_login_page_a_busy_channel_and_the_phone_layout()
    {
        var login = await (await _browser.NewContextAsync()).NewPageAsync();
        await login.GotoAsync(Url);
        await Expect(login.Locator("#login-form")).ToBeVisibleAsync();
        await AssertAccessibleAsync(login, "login page");

        var (alice, aliceName) = await _pages.SignUpAsync("ax");
        var (bob, bobName) = await _pages.SignUpAsync("ay");
        var channel = await ChatPages.CreateChannelAsync(alice, "axe", bobName);
        await ChatPages.OpenChannelAsync(bob, channel);
        await ChatPages.SendAsync(alice, "**Agenda**\n- review `main`\n- [notes](https://example.org)", shows: "Agenda");
        await ChatPages.SendAsync(bob, $"thanks @{aliceName}", shows: "thanks");
        var message = alice.Locator("#messages .message", new() { HasText = "Agenda" });
        await message.GetByRole(AriaRole.Button, new() { Name = "React", Exact = true }).ClickAsync();
        await message.GetByRole(AriaRole.Button, new() { Name = "React with 👍" }).ClickAsync();
        await message.GetByRole(AriaRole.Button, new() { Name = "Reply in thread" }).ClickAsync();
        await Expect(alice.Locator("#side-panel .message")).ToHaveCountAsync(1);
        await AssertAccessibleAsync(alice, "a channel with messages and a thread open");

        var (phone, _) = await _pages.SignUpAsync("ph", viewport: new() { Width = 390, Height = 844 });
        await ChatPages.CreateChannelAsync(phone, "tiny");
        await ChatPages.SendAsync(phone, "hello from a phone");
        await AssertAccessibleAsync(phone, "the phone layout");
    }

    private static async Task AssertAccessibleAsync(IPage page, string what)
    {
        var result = await page.RunAxe();
        var bad = result.Violations.Where(v => v.Impact is "serious" or "critical")
            .Select(v => $"{v.Id} ({v.Impact}): {string.Join("; ", v.Nodes.Select(n => string.Join(" ", n.Target)))}").ToList();
        Assert.True(bad.Count == 0, $"{what}: {string.Join(Environment.NewLine, bad)}");
    }

    /// <summary>
    /// The tab is in the background with notifications allowed. Headless Chromium has no notification centre to look in,
    /// so the page's Notification is replaced by one that records its titles (window.__notifications).
    /// </summary>
    private static Task HiddenTabWithNotificationsAsync(IBrowserContext context) => context.AddInitScriptAsync("""
        Object.defineProperty(document, "hidden", { get: () => true });
        window.__notifications = [];
        window.Notification = class { static permission = "granted"; static requestPermission() { return Promise.resolve("granted"); }
          constructor(title) { window.__notifications.push(title); } close() {} };
        """);

    private static ILocatorAssertions Expect(ILocator locator) => Assertions.Expect(locator);
}
