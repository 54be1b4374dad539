using Deque.AxeCore.Playwright;
using ChatAspire.Tests.Infrastructure;
using Microsoft.Playwright;

namespace ChatAspire.Tests.Web;

/// <summary>What a person does on the web page, shared by the browser tests: sign up, create a channel, invite, send.</summary>
public sealed class ChatPages(IBrowser browser, string url)
{
    /// <summary>A new account signed up in a fresh browser context (its own storage), connected to the hub.</summary>
    public async Task<(IPage Page, string UserName)> SignUpAsync(string prefix, ViewportSize? viewport = null, HubLink? link = null,
        Func<IBrowserContext, Task>? prepare = null)
    {
        var context = await browser.NewContextAsync(new() { ViewportSize = viewport ?? new() { Width = 1280, Height = 800 } });
        if (prepare is not null)
        {
            await prepare(context);
        }
        var page = await context.NewPageAsync();
        var trail = new System.Collections.Concurrent.ConcurrentQueue<string>();
        Trails[page] = trail; // what the page did, shown when an expectation fails (NoErrorAsync)
        page.Console += (_, m) => trail.Enqueue($"{DateTime.UtcNow:HH:mm:ss.fff} console {m.Type}: {Redact(m.Text)}");
        page.Request += (_, r) => trail.Enqueue($"{DateTime.UtcNow:HH:mm:ss.fff} > {r.Method} {r.Url}");
        page.Response += (_, r) => trail.Enqueue($"{DateTime.UtcNow:HH:mm:ss.fff} < {r.Status} {r.Url}");
        page.WebSocket += (_, ws) => ws.FrameReceived += (_, f) => trail.Enqueue($"{DateTime.UtcNow:HH:mm:ss.fff} ws {f.Text?[..Math.Min(200, f.Text.Length)]}");
        if (link is not null)
        {
            await page.RouteWebSocketAsync("**/hubs/chat**", link.Handle);
        }
        var name = $"{prefix}-{Guid.NewGuid():N}"[..14];
        await page.GotoAsync(url);
        var form = page.Locator("#register-form");
        await form.GetByLabel("User name").FillAsync(name);
        await form.GetByLabel("Password").FillAsync(ChatUsers.Password);
        await form.GetByRole(AriaRole.Button, new() { Name = "Sign up" }).ClickAsync();
        await Expect(page.Locator("#me-name")).ToHaveTextAsync(name);
        await Expect(page.Locator("#status")).ToHaveTextAsync("Connected");
        return (page, name);
    }

    /// <summary>Creates a channel on <paramref name="owner"/>'s page and invites <paramref name="invitees"/>; returns its name.</summary>
    public static async Task<string> CreateChannelAsync(IPage owner, string prefix, params string[] invitees)
    {
        var channel = $"{prefix}-{Guid.NewGuid():N}"[..16];
        await owner.GetByLabel("New channel").FillAsync(channel);
        await owner.GetByRole(AriaRole.Button, new() { Name = "Create" }).ClickAsync();
        await Expect(owner.Locator("#channel-title")).ToHaveTextAsync(channel);
        await Expect(owner.Locator("#member-list")).ToContainTextAsync("(owner)"); // the channel has opened: its panes stand still
        foreach (var invitee in invitees)
        {
            await owner.GetByLabel("Invite").FillAsync(invitee);
            await owner.GetByLabel("Invite").PressAsync("Enter");
            await NoErrorAsync(owner, () => Expect(owner.Locator("#member-list")).ToContainTextAsync(invitee));
        }
        return channel;
    }

    /// <summary>Runs an expectation; when it fails, the message the page showed (if any) is part of the failure.</summary>
    public static async Task NoErrorAsync(IPage page, Func<Task> expectation)
    {
        try
        {
            await expectation();
        }
        catch (PlaywrightException ex)
        {
            var error = await page.Locator("#error").TextContentAsync();
            var trail = Trails.TryGetValue(page, out var t) ? string.Join("\n", t) : "";
            throw new InvalidOperationException($"{ex.Message.Split('\n')[0]} (the page showed: \"{error}\")\n{trail}", ex);
        }
    }

    public static async Task OpenChannelAsync(IPage page, string channel)
    {
        await page.Locator("#channel-list button", new() { HasText = channel }).ClickAsync();
        await Expect(page.Locator("#channel-title")).ToHaveTextAsync(channel);
    }

    /// <summary>Types <paramref name="text"/> into the composer and sends it; waits until it shows.</summary>
    public static async Task SendAsync(IPage page, string text, string? shows = null)
    {
        await page.GetByLabel("Message", new() { Exact = true }).FillAsync(text);
        await page.GetByRole(AriaRole.Button, new() { Name = "Send" }).ClickAsync();
        await Expect(page.Locator(".message .content", new() { HasTextString = shows ?? text }).First).ToBeVisibleAsync();
    }

    /// <summary>axe-core on the page as it is: no serious or critical finding.</summary>
    public static async Task AxeCleanAsync(IPage page, string view)
    {
        var result = await page.RunAxe();
        var bad = result.Violations.Where(v => v.Impact is "serious" or "critical")
            .Select(v => $"{v.Id} ({v.Impact}): {string.Join("; ", v.Nodes.Select(n => string.Join(" ", n.Target)))}").ToList();
        Assert.True(bad.Count == 0, $"{view}: {string.Join(Environment.NewLine, bad)}");
    }

    private static string Redact(string text) => System.Text.RegularExpressions.Regex.Replace(text, "access_token=[^&\\s.]+(\\.[^&\\s.]+)*", "access_token=…");

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<IPage, System.Collections.Concurrent.ConcurrentQueue<string>> Trails = new();

    public static ILocatorAssertions Expect(ILocator locator) => Assertions.Expect(locator);
}
