using Aspire.Hosting;
using Aspire.Hosting.Testing;
using ChatAspire.Tests.Infrastructure;
using Microsoft.Playwright;

namespace ChatAspire.Tests.Web;

/// <summary>
/// The first minute of an installation: a fresh system (its own AppHost, empty data), the first account signs up and
/// works at once. Runs on its own system so "first account" really is the first, and alone (with the drill), because its
/// AppHost and browser next to the shared ones made the shared AppHost's browser tests flaky on two cores.
/// </summary>
[Collection(Drills.DrillCollection.Name)]
public sealed class FirstRunTests : IAsyncLifetime
{
    private DistributedApplication _app = null!;
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;
    private string _url = null!;

    public async ValueTask InitializeAsync()
    {
        _app = await AppHostFixture.StartAsync([]);
        _url = _app.CreateHttpClient(ResourceNames.Api).BaseAddress!.ToString().TrimEnd('/');
        (_playwright, _browser) = await Browsers.LaunchAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
        await _app.DisposeAsync();
    }

    [Fact]
    public async Task The_first_account_on_a_fresh_system_signs_up_creates_a_channel_and_posts_with_no_401_and_the_forms_hidden()
    {
        // The browser still holds the session of a previous installation (same address): the usual state of the
        // first visit to a reinstalled system. Its token is unknown here and its refresh token is refused.
        var page = await NewPageAsync(staleSession: true);
        var refused = Watch(page);

        await page.GotoAsync(_url);
        await Expect(page.Locator("#register-form")).ToBeVisibleAsync();
        await Expect(page.Locator("#app")).ToBeHiddenAsync();

        await SignUpCreateAndPostAsync(page, "first");

        // The stale session was refused (its refresh too), and nothing else was.
        Assert.All(refused, r => Assert.Matches("^(GET /api/channels|POST /api/auth/refresh)$", r));

        // A second person, with a clean browser, on the same fresh system: not a single 401 anywhere. The page's start
        // (its settings, then the channel list, then the hub) is held back this time, and the create and the send that
        // follow the sign-up at once must wait for the connection, not fail with "Not connected." (a CI run once met
        // that race). The settings arrive only when the create has listed the channels again, the last request before
        // it subscribes through the hub: the start's own list comes after its settings, so that request is the
        // create's. A page that subscribed without waiting for its start would do so before the start could connect.
        // An error box hides itself after 6 s, so every text it shows is recorded.
        var second = await NewPageAsync(staleSession: false);
        var listedByCreate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        second.RequestFinished += (_, r) =>
        {
            if (r.Method == "GET" && new Uri(r.Url).AbsolutePath == "/api/channels")
            {
                listedByCreate.TrySetResult();
            }
        };
        await second.RouteAsync(_url + "/config", async route =>
        {
            await listedByCreate.Task;
            await route.ContinueAsync();
        });
        await second.AddInitScriptAsync("""
            document.addEventListener("DOMContentLoaded", () => {
              const box = document.getElementById("error");
              window.shownErrors = [];
              new MutationObserver(() => { if (!box.hidden && box.textContent) window.shownErrors.push(box.textContent); })
                .observe(box, { attributes: true, childList: true, characterData: true, subtree: true });
            });
            """);
        var secondRefused = Watch(second);
        var console = new List<string>();
        second.Console += (_, m) => { if (m.Type == "error") { lock (console) { console.Add(m.Text); } } };
        await second.GotoAsync(_url);
        await SignUpCreateAndPostAsync(second, "second");
        Assert.Empty(await second.EvaluateAsync<string[]>("() => window.shownErrors"));
        Assert.Empty(secondRefused);
        Assert.Empty(console);

        // Logging out returns to a clean sign-in view: forms only, no chat left underneath.
        await second.GetByRole(AriaRole.Button, new() { Name = "Log out" }).ClickAsync();
        await Expect(second.Locator("#register-form")).ToBeVisibleAsync();
        await Expect(second.Locator("#app")).ToBeHiddenAsync();
        Assert.Equal(0, await second.Locator("#messages li").CountAsync());
        Assert.Null(await second.EvaluateAsync<string?>("() => localStorage.getItem('chataspire.session')"));
    }

    private async Task SignUpCreateAndPostAsync(IPage page, string prefix)
    {
        var name = $"{prefix}-{Guid.NewGuid():N}"[..14];
        var form = page.Locator("#register-form");
        await form.GetByLabel("User name").FillAsync(name);
        await form.GetByLabel("Password").FillAsync(ChatUsers.Password);
        await form.GetByRole(AriaRole.Button, new() { Name = "Sign up" }).ClickAsync();

        // Straight away, as a person does: no waiting for the connection.
        var channel = $"c-{Guid.NewGuid():N}"[..12];
        await page.GetByLabel("New channel").FillAsync(channel);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create" }).ClickAsync();
        await Expect(page.Locator("#channel-title")).ToHaveTextAsync(channel);
        await page.GetByLabel("Message", new() { Exact = true }).FillAsync($"hello from {name}");
        await page.GetByRole(AriaRole.Button, new() { Name = "Send" }).ClickAsync();
        await Expect(page.Locator(".message .content", new() { HasTextString = $"hello from {name}" })).ToHaveCountAsync(1);

        await Expect(page.Locator("#me-name")).ToHaveTextAsync(name);
        await Expect(page.Locator("#auth")).ToBeHiddenAsync();
        await Expect(page.Locator("#register-form")).ToBeHiddenAsync();
        await Expect(page.Locator("#login-form")).ToBeHiddenAsync();
        await Expect(page.Locator("#error")).ToBeHiddenAsync();
    }

    private async Task<IPage> NewPageAsync(bool staleSession)
    {
        var context = await _browser.NewContextAsync(new() { ViewportSize = new() { Width = 1280, Height = 800 } });
        if (staleSession)
        {
            var stale = Tokens.AccessToken(Guid.NewGuid(), "previous-install", TimeSpan.FromMinutes(10), foreignKey: true);
            await context.AddInitScriptAsync($$"""
                if (!sessionStorage.getItem("seeded")) {
                  sessionStorage.setItem("seeded", "1");
                  localStorage.setItem("chataspire.session", JSON.stringify({ accessToken: "{{stale}}", refreshToken: "from-another-system",
                    user: { id: "00000000-0000-0000-0000-000000000001", userName: "previous-install", displayName: "previous-install" } }));
                }
                """);
        }
        return await context.NewPageAsync();
    }

    /// <summary>Every 4xx/5xx the page receives from the API, as "METHOD /path".</summary>
    private List<string> Watch(IPage page)
    {
        var refused = new List<string>();
        page.Response += (_, r) =>
        {
            if (r.Status >= 400)
            {
                lock (refused)
                {
                    refused.Add($"{r.Request.Method} {new Uri(r.Url).AbsolutePath}");
                }
            }
        };
        return refused;
    }

    private static ILocatorAssertions Expect(ILocator locator) => Assertions.Expect(locator);
}
