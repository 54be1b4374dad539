using System.Diagnostics;
using System.Text.Json;
using ChatAspire.Tests.Infrastructure;
using Microsoft.Playwright;


namespace ChatAspire.Tests.Web;

/// <summary>
/// Issue #36, parts 1, 3 and 4, in real Chromium: a channel of 10,000 messages opens at once and scrolls through its
/// whole history with a window of a few hundred message nodes; a search hit far back opens the same way; and the
/// display name is changed in the profile dialog.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class WebBigChannelTests(AppHostFixture fixture, ITestOutputHelper output) : IAsyncLifetime
{
    /// <summary>The most message rows the page may hold (the window is 250 messages, plus day separators).</summary>
    private const int MaxRows = 300;

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
    public async Task A_channel_of_ten_thousand_messages_opens_at_once_and_scrolls_to_its_first_message_with_a_bounded_page()
    {
        var (page, _) = await _pages.SignUpAsync("big");
        var channel = await ChatPages.CreateChannelAsync(page, "big");
        var ids = await page.EvaluateAsync<JsonElement>("() => ({ user: window.__chat.session.user.id, channel: window.__chat.current })");
        await SeedAsync(Guid.Parse(ids.GetProperty("channel").GetString()!), Guid.Parse(ids.GetProperty("user").GetString()!), 10_000);
        var other = await ChatPages.CreateChannelAsync(page, "small");
        await page.ReloadAsync();
        await Expect(page.Locator("#status")).ToHaveTextAsync("Connected");
        await Expect(page.Locator("#channel-title")).Not.ToHaveTextAsync("Pick a channel"); // the first channel opened by itself
        await ChatPages.OpenChannelAsync(page, other);
        await Expect(page.Locator("#member-list")).ToContainTextAsync("(owner)");

        // Open: the newest message shows, and the page holds one window of messages.
        var clock = Stopwatch.StartNew();
        await page.Locator("#channel-list button", new() { HasText = channel }).ClickAsync();
        await Expect(page.Locator("#messages .message", new() { HasTextString = "message number 10000" })).ToBeInViewportAsync();
        var firstRender = clock.ElapsedMilliseconds;
        output.WriteLine($"10k channel first render {firstRender} ms");
        Assert.True(firstRender < 3000, $"the channel took {firstRender} ms to show its newest message");
        Assert.InRange(await page.Locator("#messages > li").CountAsync(), 1, MaxRows);

        // Scroll up to the very first message: pages load above, the far end is let go, and what was on screen stays put.
        var walk = await page.EvaluateAsync<JsonElement>("""
            async () => {
              const list = document.getElementById("messages");
              const oldest = () => Number(list.querySelector("li[data-seq]").dataset.seq);
              let maxRows = 0, steps = 0, worstShift = 0; const shifts = [];
              while (!list.querySelector('li[data-seq="1"]')) {
                const before = oldest();
                const anchor = list.querySelector(`li[data-seq="${before}"]`);
                list.scrollTop = 0; // (layout is synchronous: the offset below is the one the reader sees at the top)
                const offset = anchor.getBoundingClientRect().top - list.getBoundingClientRect().top;
                const until = performance.now() + 15000;
                while (oldest() === before && performance.now() < until) await new Promise((r) => requestAnimationFrame(r));
                if (oldest() === before) return { stuckAt: before, maxRows, steps };
                const again = list.querySelector(`li[data-seq="${before}"]`);
                const shift = Math.abs(again.getBoundingClientRect().top - list.getBoundingClientRect().top - offset);
                if (shift > 2) shifts.push([steps, before, Math.round(offset), Math.round(shift), list.scrollTop]);
                worstShift = Math.max(worstShift, shift);
                maxRows = Math.max(maxRows, list.querySelectorAll(":scope > li").length);
                steps++;
              }
              return { stuckAt: 0, maxRows, steps, worstShift, shifts: shifts.slice(0, 8), nodes: document.getElementsByTagName("*").length };
            }
            """);
        output.WriteLine($"scrolled to the first message: {walk}");
        Assert.Equal(0, walk.GetProperty("stuckAt").GetInt32());
        Assert.InRange(walk.GetProperty("maxRows").GetInt32(), 1, MaxRows);
        Assert.True(walk.GetProperty("steps").GetInt32() >= 190, $"{walk}"); // 50 a page: the whole history went by
        Assert.True(walk.GetProperty("worstShift").GetDouble() < 2, $"the messages on screen moved as a page loaded above: {walk}");
        await Expect(page.Locator("#messages .message", new() { HasTextString = "message number 1" }).First).ToBeVisibleAsync();
        await Expect(page.Locator("#messages .message", new() { HasTextString = "message number 10000" })).ToHaveCountAsync(0);
        await ChatPages.AxeCleanAsync(page, "far back in a big channel");
        await page.GetByRole(AriaRole.Button, new() { Name = "Dark theme" }).ClickAsync();
        await ChatPages.AxeCleanAsync(page, "far back in a big channel, dark");
        await page.GetByRole(AriaRole.Button, new() { Name = "Dark theme" }).ClickAsync();

        // Far back, the way to the newest is one button; it brings the newest window and no more.
        var jump = page.GetByRole(AriaRole.Button, new() { Name = "Jump to the newest messages" });
        await jump.ClickAsync();
        await Expect(page.Locator("#messages .message", new() { HasTextString = "message number 10000" })).ToBeInViewportAsync();
        await Expect(jump).ToBeHiddenAsync();
        Assert.InRange(await page.Locator("#messages > li").CountAsync(), 1, MaxRows);

        // A search hit far back opens the same way: in context, with pages both ways from there.
        await ChatPages.OpenChannelAsync(page, other);
        var search = page.GetByRole(AriaRole.Searchbox, new() { Name = "Search messages" });
        await search.FillAsync("\"message number 5000\"");
        await search.PressAsync("Enter");
        var hit = page.Locator("#side-list .hit-button", new() { HasTextString = "message number 5000" });
        await ChatPages.NoErrorAsync(page, () => Expect(hit).ToHaveCountAsync(1));
        await hit.ClickAsync();
        var target = page.Locator("#messages li[data-seq='5000']");
        await Expect(target).ToBeInViewportAsync();
        await Expect(target).ToBeFocusedAsync();
        Assert.InRange(await page.Locator("#messages > li").CountAsync(), 1, MaxRows);
        await page.Locator("#messages").EvaluateAsync("list => { list.scrollTop = list.scrollHeight; }");
        await Expect(page.Locator("#messages li[data-seq='5100']")).ToHaveCountAsync(1); // a page more below
        await Expect(jump).ToBeVisibleAsync();
    }

    [Fact]
    public async Task The_profile_dialog_changes_the_display_name_everyone_sees_and_refuses_a_reserved_one()
    {
        var (alice, aliceName) = await _pages.SignUpAsync("pa");
        var (bob, _) = await _pages.SignUpAsync("pb");
        var bobName = await bob.Locator("#me-name").TextContentAsync();
        var channel = await ChatPages.CreateChannelAsync(alice, "prof", bobName!);
        await ChatPages.SendAsync(alice, "written before the rename");

        await alice.GetByRole(AriaRole.Button, new() { Name = "Profile" }).ClickAsync();
        var dialog = alice.GetByRole(AriaRole.Dialog, new() { Name = "Your profile" });
        await Expect(dialog).ToBeVisibleAsync();
        var field = dialog.GetByLabel("Display name");
        await Expect(field).ToHaveValueAsync(aliceName);
        await field.FillAsync("Administrator");
        await dialog.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Expect(dialog.GetByRole(AriaRole.Alert)).ToContainTextAsync("reserved");
        await Expect(dialog).ToBeVisibleAsync();
        await ChatPages.AxeCleanAsync(alice, "the profile dialog");

        var newName = $"Alice {Guid.NewGuid():N}"[..12];
        await field.FillAsync(newName);
        await field.PressAsync("Enter");
        await Expect(dialog).ToBeHiddenAsync();
        await Expect(alice.Locator("#me-name")).ToHaveTextAsync(newName);
        await Expect(alice.GetByRole(AriaRole.Button, new() { Name = "Profile" })).ToBeFocusedAsync();

        // A reload keeps it; another member sees it on the messages written before.
        await alice.ReloadAsync();
        await Expect(alice.Locator("#me-name")).ToHaveTextAsync(newName);
        await bob.ReloadAsync();
        await Expect(bob.Locator("#status")).ToHaveTextAsync("Connected");
        await ChatPages.OpenChannelAsync(bob, channel);
        var message = bob.Locator("#messages .message", new() { HasText = "written before the rename" });
        await Expect(message.Locator(".meta .sender")).ToHaveTextAsync(newName);
    }

    /// <summary>
    /// <paramref name="count"/> messages from <paramref name="sender"/>, a second apart, written straight into chatdb (the
    /// send limit would take half an hour), with the channel's last seq and the sender's read mark moved to the end.
    /// </summary>
    private async Task SeedAsync(Guid channel, Guid sender, int count)
    {
        await using var connection = new Npgsql.NpgsqlConnection(await fixture.ConnectionStringAsync(ResourceNames.ChatDb));
        await connection.OpenAsync();
        await using var tx = await connection.BeginTransactionAsync();
        await using var seed = new Npgsql.NpgsqlCommand("""
            INSERT INTO messages ("Id", "ChannelId", "Seq", "SenderId", "Type", "Content", "Attachments", "Mentions", "CreatedAt")
            SELECT gen_random_uuid(), @channel, g, @sender, 'user', 'message number ' || g, '{}', '{}', now() - (@count - g) * interval '1 second'
            FROM generate_series(1, @count) AS g;
            UPDATE channels SET "LastSeq" = @count WHERE "Id" = @channel;
            UPDATE channel_members SET "LastReadSeq" = @count WHERE "ChannelId" = @channel AND "UserId" = @sender;
            """, connection, tx);
        seed.Parameters.AddWithValue("channel", channel);
        seed.Parameters.AddWithValue("sender", sender);
        seed.Parameters.AddWithValue("count", count);
        await seed.ExecuteNonQueryAsync();
        await tx.CommitAsync();
    }

    private static ILocatorAssertions Expect(ILocator locator) => Assertions.Expect(locator);
}
