using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;
using ChatAspire.Tests.Infrastructure;
using ChatAspire.Tests.Web;
using ChatAspire.TestIdentityProvider;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;

namespace ChatAspire.Tests.Security;

/// <summary>
/// Single sign-on (issue #35) in Chromium against a real OpenID Connect server (OpenIddict, tests/ChatAspire.TestIdentityProvider):
/// Chat.Api runs in-process on a real socket with the AppHost's Postgres and Redis, single sign-on on and password
/// accounts off, so its logs can be read.
/// </summary>
[Collection(ExclusiveCollection.Name)]
public sealed class SingleSignOnTests(AppHostFixture fixture) : IAsyncLifetime
{
    private const string ProviderName = "Test IdP";
    private TestIdentityProvider.TestIdentityProvider _idp = null!;
    private ServiceFactory<global::Chat.Api.Data.ChatDbContext> _api = null!;
    private Uri _url = null!;
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;

    public async ValueTask InitializeAsync()
    {
        _idp = await TestIdentityProvider.TestIdentityProvider.StartAsync();
        var settings = await fixture.ServiceSettingsAsync(ResourceNames.ChatDb);
        settings["Auth:Oidc:Authority"] = _idp.Issuer.ToString();
        settings["Auth:Oidc:ClientId"] = TestIdentityProvider.TestIdentityProvider.DefaultClientId;
        settings["Auth:Oidc:ClientSecret"] = TestIdentityProvider.TestIdentityProvider.DefaultClientSecret;
        settings["Auth:Oidc:DisplayName"] = ProviderName;
        settings["Auth:Oidc:RoleClaim"] = "groups";
        settings["Auth:Oidc:AdminValues:0"] = "chat-admins";
        settings["Auth:Oidc:RequireHttpsMetadata"] = "false";
        settings["Auth:LocalAccounts"] = "false";
        settings["Accounts:AuthRequestsPerMinute"] = "100000";
        _api = new ServiceFactory<global::Chat.Api.Data.ChatDbContext>(settings);
        _api.UseKestrel(0);
        _api.StartServer();
        var bound = new Uri(_api.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        _url = new Uri($"http://127.0.0.1:{bound.Port}/");
        await _idp.RegisterClientAsync(TestIdentityProvider.TestIdentityProvider.DefaultClientId,
            TestIdentityProvider.TestIdentityProvider.DefaultClientSecret, [_url]);
        (_playwright, _browser) = await Browsers.LaunchAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.CloseAsync();
        _playwright.Dispose();
        await _api.DisposeAsync();
        await _idp.DisposeAsync();
    }

    [Fact]
    public async Task Signing_in_with_the_provider_gives_the_group_role_signing_out_ends_the_provider_session_and_the_next_sign_in_keeps_the_account()
    {
        // Her ID token holds only `sub`: name and groups come from the userinfo endpoint, as node oidc-provider gives them.
        var ada = new TestAccount($"ada{Guid.NewGuid():N}"[..12], "Ada Lovelace", ["staff", "chat-admins"]) { ClaimsOnlyAtUserInfo = true };
        _idp.Add(ada);
        var page = await NewPageAsync();

        await page.GotoAsync(_url.ToString());
        // Password accounts are off: only the provider's button is offered, and the password routes refuse.
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = $"Sign in with {ProviderName}" })).ToBeVisibleAsync();
        await Expect(page.Locator("#login-form")).ToBeHiddenAsync();
        await Expect(page.Locator("#register-form")).ToBeHiddenAsync();
        using var http = new HttpClient { BaseAddress = _url };
        using (var register = await http.PostAsJsonAsync("/api/auth/register", new { userName = "local-" + ada.UserName, password = ChatUsers.Password }))
        using (var login = await http.PostAsJsonAsync("/api/auth/login", new { userName = "anyone", password = ChatUsers.Password }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, register.StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, login.StatusCode);
        }

        await SignInAtProviderAsync(page, ada);
        await Expect(page.Locator("#me-name")).ToHaveTextAsync("Ada Lovelace");
        await Expect(page.Locator("#status")).ToHaveTextAsync("Connected");
        var first = await MeAsync(page);
        Assert.Equal("admin", first.GetProperty("role").GetString()); // from the group claim
        Assert.Equal(ada.UserName, first.GetProperty("userName").GetString());
        Assert.Equal("", new Uri(page.Url).Query); // nothing of the round trip stays in the address

        // Sign-out ends ChatAspire's session and the provider's (RP-initiated logout), then returns to the sign-in page.
        var token = first.GetProperty("accessToken").GetString()!;
        await page.GetByRole(AriaRole.Button, new() { Name = "Log out" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = $"Sign in with {ProviderName}" })).ToBeVisibleAsync();
        await Poll.UntilAsync(() => Task.FromResult(_idp.EndSessions == 1), TimeSpan.FromSeconds(10), "the provider's end-session endpoint to be called");
        try { await page.WaitForURLAsync(_url.ToString(), new() { Timeout = 8000 }); }
        catch (TimeoutException e) { throw new InvalidOperationException($"at {page.Url}: {await page.ContentAsync()}", e); }
        await Expect(page.Locator("#auth")).ToBeVisibleAsync();
        await Poll.UntilAsync(async () => (await MeStatusAsync(token)) == HttpStatusCode.Unauthorized, TimeSpan.FromSeconds(5), "the signed-out token to be refused");

        // The provider renamed her and she left the admin group: the same account, kept in step. The provider asks for
        // her password again, so its session did end.
        _idp.Add(ada with { Name = "Ada King", Groups = ["staff"] });
        await SignInAtProviderAsync(page, ada);
        await Expect(page.Locator("#me-name")).ToHaveTextAsync("Ada King");
        var second = await MeAsync(page);
        Assert.Equal(first.GetProperty("id").GetString(), second.GetProperty("id").GetString());
        Assert.Equal("user", second.GetProperty("role").GetString());
        Assert.DoesNotContain(_api.Logs.Records, r => r.Level >= LogLevel.Warning && r.EventId.Name is not ("slow_request" or "slow_query"));
    }

    [Fact]
    public async Task A_refused_sign_in_wrong_audience_bad_nonce_or_expired_state_shows_why_and_logs_a_warning_not_an_error()
    {
        var stranger = new TestAccount($"aud{Guid.NewGuid():N}"[..12], "Wrong Audience", [], Misbehaviour.WrongAudience);
        var replayed = new TestAccount($"non{Guid.NewGuid():N}"[..12], "Bad Nonce", [], Misbehaviour.BadNonce);
        var slow = new TestAccount($"slo{Guid.NewGuid():N}"[..12], "Slow Sign In", []);
        foreach (var account in new[] { stranger, replayed, slow })
        {
            _idp.Add(account);
        }

        await RefusedAsync(stranger, "audience", "meant for another application");
        await RefusedAsync(replayed, "nonce", "did not match this sign-in");
        // The correlation cookie outlives nothing longer than the sign-in may take (15 minutes): gone, as after that time.
        await RefusedAsync(slow, "expired", "took too long", page => page.Context.ClearCookiesAsync(new() { NameRegex = new Regex("^\\.AspNetCore\\.Correlation") }));

        Assert.DoesNotContain(_api.Logs.Records, r => r.Level >= LogLevel.Error);
        using var db = _api.Services.CreateScope().ServiceProvider.GetRequiredService<global::Chat.Api.Data.ChatDbContext>();
        foreach (var account in new[] { stranger, replayed, slow })
        {
            Assert.DoesNotContain(db.Users, u => u.UserName == account.UserName); // nobody was let in, no account was made
        }
    }

    [Fact]
    public async Task An_account_disabled_in_ChatAspire_stays_out_when_the_provider_still_vouches_for_it()
    {
        var admin = new TestAccount($"adm{Guid.NewGuid():N}"[..12], "The Admin", ["chat-admins"]);
        var bob = new TestAccount($"bob{Guid.NewGuid():N}"[..12], "Bob Builder", []);
        _idp.Add(admin);
        _idp.Add(bob);
        var adminPage = await NewPageAsync();
        await adminPage.GotoAsync(_url.ToString());
        await SignInAtProviderAsync(adminPage, admin);
        await Expect(adminPage.Locator("#me-name")).ToHaveTextAsync("The Admin");
        var bobPage = await NewPageAsync();
        await bobPage.GotoAsync(_url.ToString());
        await SignInAtProviderAsync(bobPage, bob);
        await Expect(bobPage.Locator("#me-name")).ToHaveTextAsync("Bob Builder");
        var bobId = (await MeAsync(bobPage)).GetProperty("id").GetString();

        using var http = new HttpClient { BaseAddress = _url };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", (await MeAsync(adminPage)).GetProperty("accessToken").GetString());
        using (var disable = await http.PutAsJsonAsync($"/api/users/{bobId}/disabled", new { disabled = true }))
        {
            Assert.Equal(HttpStatusCode.OK, disable.StatusCode);
        }
        await Expect(bobPage.Locator("#auth")).ToBeVisibleAsync(new() { Timeout = 15_000 }); // signed out everywhere

        await bobPage.GetByRole(AriaRole.Link, new() { Name = $"Sign in with {ProviderName}" }).ClickAsync();
        // The provider's session is still on: it sends Bob straight back, and ChatAspire refuses him.
        await Expect(bobPage.Locator("#error")).ToContainTextAsync("This account is disabled");
        await Expect(bobPage.Locator("#auth")).ToBeVisibleAsync();
        Assert.Contains(_api.Logs.Records, r => r.EventId.Name == "sso_sign_in_refused" && r.Level == LogLevel.Warning && Equals(r.Fields["Reason"], "disabled"));
        Assert.DoesNotContain(_api.Logs.Records, r => r.Level >= LogLevel.Error);
    }

    private async Task RefusedAsync(TestAccount account, string reason, string shown, Func<IPage, Task>? atProvider = null)
    {
        var page = await NewPageAsync();
        await page.GotoAsync(_url.ToString());
        await SignInAtProviderAsync(page, account, atProvider);
        await Expect(page.Locator("#error")).ToContainTextAsync(shown);
        await Expect(page.Locator("#auth")).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = $"Sign in with {ProviderName}" })).ToBeVisibleAsync();
        Assert.Null(await page.EvaluateAsync<string?>("localStorage.getItem('chataspire.session')"));
        Assert.DoesNotContain("signin_error", page.Url, StringComparison.Ordinal);
        Assert.Contains(_api.Logs.Records, r => r.EventId.Name == "sso_sign_in_refused" && r.Level == LogLevel.Warning && Equals(r.Fields["Reason"], reason));
        await page.Context.CloseAsync();
    }

    /// <summary>From ChatAspire's sign-in page: the provider's button, its form, and back.</summary>
    private static async Task SignInAtProviderAsync(IPage page, TestAccount account, Func<IPage, Task>? atProvider = null)
    {
        await page.GetByRole(AriaRole.Link, new() { Name = $"Sign in with {ProviderName}" }).ClickAsync();
        try
        {
            await page.GetByLabel("Provider user name").WaitForAsync(new() { Timeout = 10_000 });
        }
        catch (TimeoutException e)
        {
            throw new InvalidOperationException($"not at the provider's form: {page.Url}\n{await page.ContentAsync()}", e);
        }
        await page.GetByLabel("Provider user name").FillAsync(account.UserName);
        await page.GetByLabel("Provider password").FillAsync(TestIdentityProvider.TestIdentityProvider.Password);
        if (atProvider is not null)
        {
            await atProvider(page);
        }
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in at the provider" }).ClickAsync();
    }

    private async Task<IPage> NewPageAsync()
    {
        var context = await _browser.NewContextAsync(new() { ViewportSize = new() { Width = 1280, Height = 800 } });
        return await context.NewPageAsync();
    }

    /// <summary>The signed-in user as the API sees the page's access token, with that token.</summary>
    private async Task<JsonElement> MeAsync(IPage page)
    {
        var session = JsonDocument.Parse(await page.EvaluateAsync<string>("localStorage.getItem('chataspire.session')")).RootElement;
        var token = session.GetProperty("accessToken").GetString()!;
        using var http = new HttpClient { BaseAddress = _url };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var me = await http.GetFromJsonAsync<Dictionary<string, JsonElement>>("/api/auth/me") ?? [];
        me["accessToken"] = JsonSerializer.SerializeToElement(token);
        return JsonSerializer.SerializeToElement(me);
    }

    private async Task<HttpStatusCode> MeStatusAsync(string token)
    {
        using var http = new HttpClient { BaseAddress = _url };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.GetAsync("/api/auth/me");
        return response.StatusCode;
    }

    private static ILocatorAssertions Expect(ILocator locator) => Assertions.Expect(locator);
}
