using ChatAspire.Tests.Infrastructure;
using Microsoft.Playwright;

namespace ChatAspire.Tests.Web;

/// <summary>
/// The team memory in real Chromium (issue #39): the search box finds a message by its meaning and opens it in context;
/// "Catch me up" on a channel with unread messages lists who took part and the messages worth reading.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class WebMemoryTests(AppHostFixture fixture) : IAsyncLifetime
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
    public async Task The_search_box_finds_a_message_by_meaning_and_catch_me_up_digests_what_was_unread()
    {
        var (alice, _) = await _pages.SignUpAsync("wm");
        var (bob, bobName) = await _pages.SignUpAsync("wn");
        var channel = await ChatPages.CreateChannelAsync(alice, "mem", bobName);
        var elsewhere = await ChatPages.CreateChannelAsync(bob, "else");
        var tag = $"t{Guid.NewGuid():N}"[..10];
        await ChatPages.SendAsync(alice, $"The quarterly budget review moved to the large meeting room {tag}");
        await ChatPages.SendAsync(alice, "ok");
        await ChatPages.SendAsync(alice, $"Who can present the hiring plan on Friday? {tag}");
        await ChatPages.SendAsync(alice, "thanks");

        // Bob was elsewhere: the channel has unread messages, and "Catch me up" digests them.
        await Expect(bob.Locator("#channel-title")).ToHaveTextAsync(elsewhere);
        await Expect(bob.Locator("#channel-list button", new() { HasText = channel }).Locator(".badge")).ToHaveTextAsync("4");
        await ChatPages.OpenChannelAsync(bob, channel);
        var catchUp = bob.GetByRole(AriaRole.Button, new() { Name = "Catch me up" });
        await catchUp.ClickAsync();
        await ChatPages.NoErrorAsync(bob, () => Expect(bob.Locator("#side-summary")).ToContainTextAsync("4 unread messages from"));
        var question = bob.Locator("#side-list .hit-button", new() { HasTextString = "hiring plan" });
        await Expect(question).ToHaveCountAsync(1);
        await Expect(question.Locator(".meta")).ToContainTextAsync("asks a question");
        await ChatPages.AxeCleanAsync(bob, "catch up");
        await question.ClickAsync();
        await Expect(bob.Locator("#messages .message.highlight", new() { HasTextString = "hiring plan" })).ToBeVisibleAsync();

        // Search by meaning, in words the message does not use (the tag keeps other tests' messages out).
        var search = bob.GetByRole(AriaRole.Searchbox, new() { Name = "Search messages" });
        var hit = bob.Locator("#side-list .hit-button", new() { HasTextString = "budget review" });
        await Poll.UntilAsync(async () =>
        {
            await search.FillAsync($"when is the finance meeting {tag}");
            await search.PressAsync("Enter");
            await Expect(bob.Locator("#side-summary")).Not.ToHaveTextAsync("Searching…");
            return await hit.CountAsync() == 1;
        }, TimeSpan.FromSeconds(20), "the search to find the budget message");
        await ChatPages.AxeCleanAsync(bob, "search results");
        await hit.ClickAsync();
        await Expect(bob.Locator("#messages .message.highlight", new() { HasTextString = "budget review" })).ToBeVisibleAsync();
    }

    private static ILocatorAssertions Expect(ILocator locator) => Assertions.Expect(locator);
}
