using System.Net.Http.Headers;
using System.Text.Json;
using ChatAspire.Tests.Infrastructure;

namespace ChatAspire.Tests.Security;

/// <summary>Hostile input against accounts and tokens (issue #13: passwords, token families, revocation, names, roles).</summary>
[Collection(ExclusiveCollection.Name)]
public sealed class AccountSecurityTests(AppHostFixture fixture)
{
    private static readonly TimeSpan RevocationDeadline = TimeSpan.FromSeconds(5);

    private Uri Api => fixture.ProxyClient(ResourceNames.Api).BaseAddress!;

    [Theory]
    [InlineData("password")]
    [InlineData("qwertyuiop")]
    [InlineData("Trustno1")]
    [InlineData("iloveyou")]
    public async Task A_common_breached_password_is_refused_with_the_reason(string password)
    {
        using var http = new HttpClient { BaseAddress = Api };
        var name = $"p-{Guid.NewGuid():N}"[..20];

        using var response = await http.PostAsJsonAsync("/api/auth/register", new { userName = name, password });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("common", problem.GetProperty("errors").GetProperty("password")[0].GetString(), StringComparison.Ordinal);
        using var login = await http.PostAsJsonAsync("/api/auth/login", new { userName = name, password });
        Assert.Equal(HttpStatusCode.Unauthorized, login.StatusCode); // no account was created
    }

    [Fact]
    public async Task A_password_equal_to_the_user_name_is_refused_and_the_list_holds_at_least_ten_thousand_passwords()
    {
        using var http = new HttpClient { BaseAddress = Api };
        var name = $"same-{Guid.NewGuid():N}"[..20];

        using var response = await http.PostAsJsonAsync("/api/auth/register", new { userName = name, password = name.ToUpperInvariant() });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("user name", problem.GetProperty("errors").GetProperty("password")[0].GetString(), StringComparison.Ordinal);
        Assert.True(new global::Chat.Api.Accounts.PasswordPolicy().CommonPasswordCount >= 10_000);
    }

    [Fact]
    public async Task Replaying_a_rotated_refresh_token_ends_the_whole_sign_in_including_the_thiefs_newer_tokens()
    {
        using var http = new HttpClient { BaseAddress = Api };
        var (_, _, stolen) = await RegisterAsync(http);
        // The thief redeems the stolen token first and holds a fresh pair...
        using var thiefRefresh = await http.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = stolen });
        var thief = (await thiefRefresh.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("tokens");
        Assert.Equal(HttpStatusCode.OK, thiefRefresh.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await MeAsync(Api, thief.GetProperty("accessToken").GetString()!)).StatusCode);

        // ...then the victim presents the same (now rotated) token.
        using var replay = await http.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = stolen });

        Assert.Equal(HttpStatusCode.Unauthorized, replay.StatusCode);
        using var thiefNext = await http.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = thief.GetProperty("refreshToken").GetString() });
        Assert.Equal(HttpStatusCode.Unauthorized, thiefNext.StatusCode);
        await Poll.UntilAsync(async () => (await MeAsync(Api, thief.GetProperty("accessToken").GetString()!)).StatusCode == HttpStatusCode.Unauthorized,
            RevocationDeadline, "the thief's access token to be refused");
    }

    [Fact]
    public async Task Refresh_token_reuse_is_logged_as_a_security_event_without_the_token()
    {
        await using var api = new ServiceFactory<global::Chat.Api.Data.ChatDbContext>(await fixture.ServiceSettingsAsync(ResourceNames.ChatDb));
        using var http = api.CreateClient();
        var (user, _, refresh) = await RegisterAsync(http);

        using var first = await http.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = refresh });
        using var replay = await http.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = refresh });

        Assert.Equal(HttpStatusCode.Unauthorized, replay.StatusCode);
        var security = Assert.Single(api.Logs.Records, r => r.EventId.Name == "refresh_token_reuse");
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Warning, security.Level);
        Assert.Equal(user, security.Fields["UserId"]);
        Assert.DoesNotContain(refresh, security.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task After_logout_the_access_token_is_refused_by_every_service_within_seconds_and_the_hub_connection_closes()
    {
        using var http = new HttpClient { BaseAddress = Api };
        var (user, access, refresh) = await RegisterAsync(http);
        var other = await RegisterAsync(http); // another sign-in of someone else stays valid
        var hub = await new ChatUser(user, "", access, Api).ConnectAsync();
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        hub.Closed += _ => { closed.TrySetResult(); return Task.CompletedTask; };
        var targets = await TargetsAsync();
        Assert.All(await StatusesAsync(targets, access), s => Assert.NotEqual(HttpStatusCode.Unauthorized, s));

        using var logoutClient = new HttpClient { BaseAddress = Api };
        logoutClient.DefaultRequestHeaders.Authorization = new("Bearer", access);
        using var logout = await logoutClient.PostAsJsonAsync("/api/auth/logout", new { refreshToken = refresh });

        Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        await Poll.UntilAsync(async () => (await StatusesAsync(targets, access)).All(s => s == HttpStatusCode.Unauthorized),
            RevocationDeadline, "every service to refuse the logged-out token");
        await closed.Task.WaitAsync(RevocationDeadline);
        using var refreshAfter = await http.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = refresh });
        Assert.Equal(HttpStatusCode.Unauthorized, refreshAfter.StatusCode);
        Assert.All(await StatusesAsync(targets, other.Access), s => Assert.NotEqual(HttpStatusCode.Unauthorized, s));
        await hub.DisposeAsync();
    }

    [Fact]
    public async Task A_role_change_revokes_the_old_tokens_and_a_refresh_brings_the_new_role()
    {
        using var http = new HttpClient { BaseAddress = Api };
        var admin = await ChatUsers.AdminAsync(Api);
        var (user, access, refresh) = await RegisterAsync(http);

        using var adminHttp = admin.Http();
        using var change = await adminHttp.PutAsJsonAsync($"/api/users/{user}/role", new { role = "moderator" });

        Assert.Equal(HttpStatusCode.OK, change.StatusCode);
        await Poll.UntilAsync(async () => (await MeAsync(Api, access)).StatusCode == HttpStatusCode.Unauthorized,
            RevocationDeadline, "the token with the old role to be refused");
        using var refreshed = await http.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = refresh });
        var next = (await refreshed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("tokens").GetProperty("accessToken").GetString()!;
        using var me = await MeAsync(Api, next);
        Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        Assert.Equal("moderator", (await me.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("role").GetString());
    }

    [Fact]
    public async Task An_admin_disabling_an_account_signs_it_out_everywhere_and_it_cannot_log_in()
    {
        using var http = new HttpClient { BaseAddress = Api };
        var admin = await ChatUsers.AdminAsync(Api);
        var name = $"d-{Guid.NewGuid():N}"[..20];
        using var register = await http.PostAsJsonAsync("/api/auth/register", new { userName = name, password = ChatUsers.Password });
        var body = await register.Content.ReadFromJsonAsync<JsonElement>();
        var id = body.GetProperty("user").GetProperty("id").GetGuid();
        var access = body.GetProperty("tokens").GetProperty("accessToken").GetString()!;
        var refresh = body.GetProperty("tokens").GetProperty("refreshToken").GetString()!;
        var targets = await TargetsAsync();

        using var adminHttp = admin.Http();
        using var disable = await adminHttp.PutAsJsonAsync($"/api/users/{id}/disabled", new { disabled = true });

        Assert.Equal(HttpStatusCode.OK, disable.StatusCode);
        await Poll.UntilAsync(async () => (await StatusesAsync(targets, access)).All(s => s == HttpStatusCode.Unauthorized),
            RevocationDeadline, "every service to refuse the disabled account's token");
        using var login = await http.PostAsJsonAsync("/api/auth/login", new { userName = name, password = ChatUsers.Password });
        Assert.Equal(HttpStatusCode.Forbidden, login.StatusCode);
        using var refreshed = await http.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = refresh });
        Assert.Equal(HttpStatusCode.Unauthorized, refreshed.StatusCode);
        using var selfDisable = await adminHttp.PutAsJsonAsync($"/api/users/{admin.Id}/disabled", new { disabled = true });
        Assert.Equal(HttpStatusCode.Conflict, selfDisable.StatusCode);
    }

    [Theory]
    [InlineData("Assistant")]
    [InlineData("ＡＳＳＩＳＴＡＮＴ")]
    [InlineData("assist ant")]
    [InlineData("System")]
    [InlineData("admin")]
    [InlineData(ChatUsers.AdminUserName)]
    public async Task Names_the_system_or_an_admin_uses_cannot_be_taken(string displayName)
    {
        await ChatUsers.AdminAsync(Api);
        using var http = new HttpClient { BaseAddress = Api };

        using var response = await http.PostAsJsonAsync("/api/auth/register",
            new { userName = $"i-{Guid.NewGuid():N}"[..20], password = ChatUsers.Password, displayName });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("displayName", out _));
    }

    [Theory]
    [InlineData("assistant")]
    [InlineData("system")]
    [InlineData("administrator")]
    public async Task Reserved_user_names_cannot_be_registered(string userName)
    {
        using var http = new HttpClient { BaseAddress = Api };

        using var response = await http.PostAsJsonAsync("/api/auth/register", new { userName, password = ChatUsers.Password });

        Assert.Contains(response.StatusCode, new[] { HttpStatusCode.BadRequest, HttpStatusCode.Conflict });
        if (response.StatusCode == HttpStatusCode.BadRequest)
        {
            Assert.True((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("userName", out _));
        }
    }

    [Theory]
    [InlineData("Mallory\u202Enimda")]
    [InlineData("zero\u200Bwidth")]
    [InlineData("nul\0name")]
    public async Task Display_names_with_bidi_overrides_or_invisible_characters_are_refused(string displayName)
    {
        using var http = new HttpClient { BaseAddress = Api };

        using var response = await http.PostAsJsonAsync("/api/auth/register",
            new { userName = $"b-{Guid.NewGuid():N}"[..20], password = ChatUsers.Password, displayName });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("displayName", out _));
    }

    [Fact]
    public async Task User_search_shows_roles_to_admins_only()
    {
        var admin = await ChatUsers.AdminAsync(Api);
        var user = await ChatUsers.RegisterAsync(Api, "seen");
        var searcher = await ChatUsers.RegisterAsync(Api);
        using var asUser = searcher.Http();
        using var asAdmin = admin.Http();

        var found = await asUser.GetFromJsonAsync<JsonElement[]>($"/api/users?q={user.UserName}");
        var foundByAdmin = await asAdmin.GetFromJsonAsync<JsonElement[]>($"/api/users?q={user.UserName}");

        var hit = Assert.Single(found!);
        Assert.Equal(user.Id, hit.GetProperty("id").GetGuid());
        Assert.False(hit.TryGetProperty("role", out _));
        Assert.Equal("user", Assert.Single(foundByAdmin!).GetProperty("role").GetString());
    }

    private static async Task<(Guid User, string Access, string Refresh)> RegisterAsync(HttpClient http)
    {
        using var register = await http.PostAsJsonAsync("/api/auth/register", new { userName = $"s-{Guid.NewGuid():N}"[..20], password = ChatUsers.Password });
        Assert.Equal(HttpStatusCode.Created, register.StatusCode);
        var body = await register.Content.ReadFromJsonAsync<JsonElement>();
        var tokens = body.GetProperty("tokens");
        return (body.GetProperty("user").GetProperty("id").GetGuid(), tokens.GetProperty("accessToken").GetString()!, tokens.GetProperty("refreshToken").GetString()!);
    }

    private static async Task<HttpResponseMessage> MeAsync(Uri api, string token)
    {
        using var client = new HttpClient { BaseAddress = api };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await client.GetAsync("/api/auth/me");
    }

    /// <summary>An authenticated endpoint on every API replica, Chat.Files and the RAG service.</summary>
    private async Task<List<(Uri Base, string Path)>> TargetsAsync()
    {
        var targets = (await ChatAppHost.ReplicaUrlsAsync(fixture.App, ResourceNames.Api)).Select(u => (u, "/api/channels")).ToList();
        targets.Add((fixture.CreateClient(ResourceNames.Files).BaseAddress!, "/api/files"));
        targets.Add((fixture.CreateClient(ResourceNames.Rag).BaseAddress!, $"/api/rag/documents/by-file/{Guid.NewGuid()}"));
        return targets;
    }

    private static async Task<HttpStatusCode[]> StatusesAsync(IEnumerable<(Uri Base, string Path)> targets, string token) =>
        await Task.WhenAll(targets.Select(async t =>
        {
            using var client = new HttpClient { BaseAddress = t.Base };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await client.GetAsync(t.Path);
            return response.StatusCode;
        }));
}
