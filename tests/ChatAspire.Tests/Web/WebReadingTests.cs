using ChatAspire.Tests.Infrastructure;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace ChatAspire.Tests.Web;

/// <summary>
/// Reading the page (issue #36, part 1 and 3), in real Chromium: a day separator, consecutive messages grouped under one
/// name, faces, the "New messages" line where the reader's unread messages begin, actions on hover and focus only,
/// and the dark theme that survives a reload.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class WebReadingTests(AppHostFixture fixture) : IAsyncLifetime
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
    public async Task Messages_are_grouped_by_author_under_a_day_separator_and_the_new_messages_line_marks_what_came_while_away_after_a_reload()
    {
        var (alice, aliceName) = await _pages.SignUpAsync("ra");
        var (bob, bobName) = await _pages.SignUpAsync("rb");
        var channel = await ChatPages.CreateChannelAsync(alice, "read", bobName);
        await ChatPages.OpenChannelAsync(bob, channel);
        await ChatPages.SendAsync(alice, "first from alice");
        await ChatPages.SendAsync(alice, "second from alice");
        await ChatPages.SendAsync(bob, "bob answers");

        // Alice moves to another channel; Bob writes three more while she is away.
        var away = await ChatPages.CreateChannelAsync(alice, "away");
        foreach (var text in new[] { "while away one", "while away two", "while away three" })
        {
            await ChatPages.SendAsync(bob, text);
        }
        await Expect(alice.Locator("#channel-list button", new() { HasText = channel }).Locator(".badge")).ToHaveTextAsync("3");

        // A reload: what is unread comes from the server.
        await alice.ReloadAsync();
        await Expect(alice.Locator("#status")).ToHaveTextAsync("Connected");
        await ChatPages.OpenChannelAsync(alice, channel);
        var items = alice.Locator("#messages > li");
        await Expect(alice.Locator("#messages .message")).ToHaveCountAsync(6);
        var classes = await items.EvaluateAllAsync<string[]>("items => items.map(li => li.className.trim().replace(/\\s+/g, ' '))");
        var seen = await alice.EvaluateAsync<string>("() => JSON.stringify({ line: window.__chat.unreadLine, current: window.__chat.current })");
        var texts = await items.EvaluateAllAsync<string[]>("items => items.map(li => (li.querySelector('.content') || li).textContent.trim())");
        Assert.Equal("day-separator", classes[0]);
        Assert.Equal("Today", texts[0]);
        // first from alice | second (grouped) | bob answers | New messages | while away one | two (grouped) | three (grouped)
        Assert.True(texts.Contains("New messages"), $"no unread line: {seen}; {string.Join(" | ", texts)}");
        Assert.Equal(["first from alice", "second from alice", "bob answers", "New messages", "while away one", "while away two", "while away three"], texts[1..]);
        Assert.DoesNotContain("grouped", classes[1]);
        Assert.Contains("grouped", classes[2]);
        Assert.DoesNotContain("grouped", classes[3]);
        Assert.Equal("new-messages", classes[4]);
        Assert.DoesNotContain("grouped", classes[5]); // the line starts a new group
        Assert.Contains("grouped", classes[6]);
        Assert.Contains("grouped", classes[7]);

        // Faces: initials on a colour that stays with the person; the grouped message keeps its author for screen readers.
        var bobMessages = alice.Locator("#messages .message", new() { HasText = "while away" });
        var words = bobName.Split([' ', '.', '_', '-'], StringSplitOptions.RemoveEmptyEntries);
        await Expect(bobMessages.First.Locator(".avatar")).ToHaveTextAsync($"{words[0][0]}{(words.Length > 1 ? words[^1][0] : "")}".ToUpperInvariant());
        var colours = await bobMessages.EvaluateAllAsync<string[]>("ms => ms.map(m => m.querySelector('.avatar').className)");
        Assert.Single(colours.Distinct());
        await Expect(bobMessages.Nth(1).Locator(".meta .sender")).ToHaveTextAsync(bobName);
        await Expect(bobMessages.Nth(1).Locator(".meta time .visually-hidden")).ToContainTextAsync(DateTime.Now.Year.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.NotEqual(aliceName, bobName);

        // The line stays while the channel is open; opening another channel and coming back (all read now) removes it.
        await ChatPages.SendAsync(bob, "one more");
        await Expect(alice.Locator("#messages .new-messages")).ToHaveCountAsync(1);
        await ChatPages.OpenChannelAsync(alice, away);
        await ChatPages.OpenChannelAsync(alice, channel);
        await Expect(alice.Locator("#messages .message")).ToHaveCountAsync(7);
        await Expect(alice.Locator("#messages .new-messages")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task Message_actions_show_on_hover_and_keyboard_focus_only_and_every_one_is_reachable_by_tab()
    {
        var (alice, _) = await _pages.SignUpAsync("ha");
        await ChatPages.CreateChannelAsync(alice, "hover");
        await ChatPages.SendAsync(alice, "an ordinary message");
        await ChatPages.SendAsync(alice, "another one");
        var message = alice.Locator("#messages .message", new() { HasText = "an ordinary message" });
        var actions = message.Locator(".actions");

        await alice.Locator("#channel-title").HoverAsync();
        Assert.Equal("0", await actions.EvaluateAsync<string>("a => getComputedStyle(a).opacity"));
        await message.Locator(".content").HoverAsync();
        Assert.Equal("1", await actions.EvaluateAsync<string>("a => getComputedStyle(a).opacity"));

        // By keyboard: focus lands on the first action, the toolbar shows, and Tab walks through the rest.
        await alice.Locator("#channel-title").HoverAsync();
        await message.GetByRole(AriaRole.Button, new() { Name = "Reply in thread" }).FocusAsync();
        Assert.Equal("1", await actions.EvaluateAsync<string>("a => getComputedStyle(a).opacity"));
        var reached = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            reached.Add(await alice.EvaluateAsync<string>("() => document.activeElement.textContent"));
            await alice.Keyboard.PressAsync("Tab");
        }
        Assert.Equal(["Reply in thread", "Reply", "React", "Edit", "Delete"], reached);
    }

    [Fact]
    public async Task A_draft_stays_with_its_channel_across_a_reload_and_up_arrow_edits_my_last_message()
    {
        var (page, _) = await _pages.SignUpAsync("dr");
        var first = await ChatPages.CreateChannelAsync(page, "draft");
        await ChatPages.SendAsync(page, "my words as sent");
        var second = await ChatPages.CreateChannelAsync(page, "other");
        var composer = page.GetByLabel("Message", new() { Exact = true });
        await composer.FillAsync("half a thought for the other channel");
        await ChatPages.OpenChannelAsync(page, first);
        await Expect(composer).ToHaveValueAsync("");

        await page.ReloadAsync();
        await Expect(page.Locator("#status")).ToHaveTextAsync("Connected");
        await ChatPages.OpenChannelAsync(page, second);
        await Expect(composer).ToHaveValueAsync("half a thought for the other channel");
        await page.GetByRole(AriaRole.Button, new() { Name = "Send" }).ClickAsync();
        await Expect(page.Locator("#messages .message .content", new() { HasText = "half a thought" })).ToBeVisibleAsync();
        await page.ReloadAsync();
        await Expect(page.Locator("#status")).ToHaveTextAsync("Connected");
        await ChatPages.OpenChannelAsync(page, second);
        await Expect(composer).ToHaveValueAsync(""); // sent: no draft left

        // Up arrow in the empty composer opens my last message for editing.
        await ChatPages.OpenChannelAsync(page, first);
        page.Dialog += async (_, dialog) =>
        {
            Assert.Equal("my words as sent", dialog.DefaultValue);
            await dialog.AcceptAsync("my words, edited");
        };
        await composer.FocusAsync();
        await composer.PressAsync("ArrowUp");
        var edited = page.Locator("#messages .message", new() { HasText = "my words, edited" });
        var marker = edited.GetByRole(AriaRole.Button, new() { Name = "Edited: show the earlier text" });
        await Expect(marker).ToHaveTextAsync("(edited)");

        // The earlier text is a click away (and a keypress: the marker is a button), for everyone who reads the channel.
        await marker.FocusAsync();
        await page.Keyboard.PressAsync("Enter");
        var versions = edited.GetByRole(AriaRole.List, new() { Name = "Earlier versions" });
        await Expect(versions).ToContainTextAsync("my words as sent");
        await Expect(marker).ToHaveAttributeAsync("aria-expanded", "true");
        await marker.ClickAsync();
        await Expect(versions).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task Ctrl_K_opens_a_switcher_that_finds_a_channel_by_a_few_of_its_letters_in_order()
    {
        var (page, _) = await _pages.SignUpAsync("sw");
        var target = await ChatPages.CreateChannelAsync(page, "quasar");
        await ChatPages.CreateChannelAsync(page, "other");
        await Expect(page.Locator("#channel-title")).Not.ToHaveTextAsync(target);

        await page.Keyboard.PressAsync("Control+k");
        var input = page.GetByRole(AriaRole.Combobox, new() { Name = "Channel name" });
        await Expect(input).ToBeFocusedAsync();
        await input.FillAsync($"qsr{target[7..10]}"); // letters in order, not next to each other: q-s-r from "quasar", then its id
        await Expect(page.Locator("#switcher-list [role=option]").First).ToContainTextAsync(target);
        await input.PressAsync("Enter");
        await Expect(page.Locator("#channel-title")).ToHaveTextAsync(target);
        await Expect(page.Locator("#switcher")).ToBeHiddenAsync();

        // Escape closes it without switching.
        await page.Keyboard.PressAsync("Control+k");
        await Expect(input).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Escape");
        await Expect(page.Locator("#switcher")).ToBeHiddenAsync();
        await Expect(page.Locator("#channel-title")).ToHaveTextAsync(target);
    }

    [Fact]
    public async Task A_pasted_image_is_attached_with_a_preview_and_sent_with_the_message()
    {
        var (page, _) = await _pages.SignUpAsync("pa");
        await ChatPages.CreateChannelAsync(page, "paste");
        // What a screenshot pasted from the clipboard looks like to the page: a paste event carrying a PNG file.
        await page.GetByLabel("Message", new() { Exact = true }).EvaluateAsync("""
            input => {
              const png = Uint8Array.from(atob("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="), c => c.charCodeAt(0));
              const data = new DataTransfer();
              data.items.add(new File([png], "screenshot.png", { type: "image/png" }));
              input.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
            }
            """);
        await Expect(page.Locator("#attachment")).ToContainTextAsync("screenshot.png — ready");
        await Expect(page.Locator("#attachment-preview")).ToBeVisibleAsync();
        await page.GetByLabel("Message", new() { Exact = true }).FillAsync("see the screenshot");
        await page.GetByRole(AriaRole.Button, new() { Name = "Send" }).ClickAsync();
        var message = page.Locator("#messages .message", new() { HasText = "see the screenshot" });
        await Expect(message.Locator("img.preview")).ToBeVisibleAsync();
        await Expect(page.Locator("#attachment")).ToBeHiddenAsync();
    }

    [Fact]
    public async Task A_file_dropped_on_the_conversation_is_attached_shift_enter_makes_a_new_line_and_escape_cancels_a_reply()
    {
        var (page, _) = await _pages.SignUpAsync("dd");
        await ChatPages.CreateChannelAsync(page, "drop");
        // What a file dragged from the desktop looks like to the page: dragover, then drop, carrying the file.
        await page.Locator(".conversation").EvaluateAsync("""
            area => {
              const data = new DataTransfer();
              data.items.add(new File(["minutes of the meeting"], "minutes.txt", { type: "text/plain" }));
              area.dispatchEvent(new DragEvent("dragover", { dataTransfer: data, bubbles: true, cancelable: true }));
              area.dispatchEvent(new DragEvent("drop", { dataTransfer: data, bubbles: true, cancelable: true }));
            }
            """);
        await Expect(page.Locator("#attachment")).ToContainTextAsync("minutes.txt — ready");
        await Expect(page.Locator("#attachment progress")).ToHaveAttributeAsync("value", "100");

        // Shift+Enter is a new line in the message; Enter sends both lines as one message.
        var composer = page.GetByLabel("Message", new() { Exact = true });
        await composer.FocusAsync();
        await page.Keyboard.TypeAsync("first line");
        await page.Keyboard.PressAsync("Shift+Enter");
        await page.Keyboard.TypeAsync("second line");
        await Expect(composer).ToHaveValueAsync("first line\nsecond line");
        await page.Keyboard.PressAsync("Enter");
        var sent = page.Locator("#messages .message", new() { HasText = "second line" });
        await Expect(sent.Locator(".content")).ToContainTextAsync("first line");
        await Expect(sent.GetByRole(AriaRole.Link)).ToContainTextAsync("minutes.txt");
        await Expect(composer).ToHaveValueAsync("");

        // A recent message says how long ago in words; the full date and time are there on hover and for screen readers.
        var time = sent.Locator("time");
        await Expect(time.Locator(".short-time")).ToHaveTextAsync("just now");
        Assert.Matches(@"\d{4}", await time.GetAttributeAsync("title") ?? "");
        Assert.Matches(@"\d{4}", await time.Locator(".visually-hidden").TextContentAsync() ?? "");

        // Reply, then Escape: the reply is cancelled and the composer keeps the focus.
        await sent.Locator(".content").HoverAsync();
        await sent.GetByRole(AriaRole.Button, new() { Name = "Reply", Exact = true }).ClickAsync();
        await Expect(page.Locator("#replying")).ToBeVisibleAsync();
        await Expect(composer).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Escape");
        await Expect(page.Locator("#replying")).ToBeHiddenAsync();
        await Expect(composer).ToBeFocusedAsync();
    }

    [Fact]
    public async Task The_dark_theme_follows_the_toggle_survives_a_reload_and_passes_axe()
    {
        var (page, _) = await _pages.SignUpAsync("dk");
        var channel = await ChatPages.CreateChannelAsync(page, "dark");
        await ChatPages.SendAsync(page, "**night** reading with `code` and a [link](https://example.org)", shows: "night");
        var toggle = page.GetByRole(AriaRole.Button, new() { Name = "Dark theme" });
        await Expect(toggle).ToHaveAttributeAsync("aria-pressed", "false"); // headless Chromium prefers light

        await toggle.ClickAsync();
        await Expect(page.Locator("html")).ToHaveAttributeAsync("data-theme", "dark");
        await Expect(toggle).ToHaveAttributeAsync("aria-pressed", "true");
        var background = await page.EvaluateAsync<string>("() => getComputedStyle(document.body).backgroundColor");
        Assert.Equal("rgb(20, 23, 28)", background);

        await page.ReloadAsync();
        await Expect(page.Locator("html")).ToHaveAttributeAsync("data-theme", "dark");
        await Expect(page.Locator("#status")).ToHaveTextAsync("Connected");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Dark theme" })).ToHaveAttributeAsync("aria-pressed", "true");
        await ChatPages.OpenChannelAsync(page, channel);
        await Expect(page.Locator("#messages .message")).ToHaveCountAsync(1);
        await ChatPages.AxeCleanAsync(page, "a channel, dark");

        // The other views in the dark theme too: the switcher, the profile dialog, search results, a thread.
        await page.Keyboard.PressAsync("Control+k");
        await Expect(page.GetByRole(AriaRole.Combobox, new() { Name = "Channel name" })).ToBeFocusedAsync();
        await ChatPages.AxeCleanAsync(page, "the switcher, dark");
        await page.Keyboard.PressAsync("Escape");
        await page.GetByRole(AriaRole.Button, new() { Name = "Profile" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Dialog, new() { Name = "Your profile" })).ToBeVisibleAsync();
        await ChatPages.AxeCleanAsync(page, "the profile dialog, dark");
        await page.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();
        await page.GetByRole(AriaRole.Searchbox, new() { Name = "Search messages" }).FillAsync("night");
        await page.GetByRole(AriaRole.Searchbox, new() { Name = "Search messages" }).PressAsync("Enter");
        await Expect(page.Locator("#side-list .hit-button")).ToHaveCountAsync(1);
        await ChatPages.AxeCleanAsync(page, "search results, dark");
        var message = page.Locator("#messages .message").First;
        await message.Locator(".content").HoverAsync();
        await message.GetByRole(AriaRole.Button, new() { Name = "Reply in thread" }).ClickAsync();
        await Expect(page.Locator("#thread-composer")).ToBeVisibleAsync();
        await ChatPages.AxeCleanAsync(page, "a thread, dark");
        await page.GetByRole(AriaRole.Button, new() { Name = "Close panel" }).ClickAsync();

        // And back: the choice is remembered either way.
        await page.GetByRole(AriaRole.Button, new() { Name = "Dark theme" }).ClickAsync();
        await page.ReloadAsync();
        await Expect(page.Locator("html")).ToHaveAttributeAsync("data-theme", "light");
    }

    private static ILocatorAssertions Expect(ILocator locator) => Assertions.Expect(locator);
}
