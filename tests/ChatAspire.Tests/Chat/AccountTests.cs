using System.Text.Json;
using ChatAspire.Tests.Infrastructure;

namespace ChatAspire.Tests.Chat;

public sealed class AccountTests(AppHostFixture fixture)
{
    private Uri Api => fixture.ProxyClient(ResourceNames.Api).BaseAddress!;

    [Fact]
    public async Task Wrong_password_and_unknown_user_get_the_same_answer_and_both_lock_after_five_failures()
    {
        var alice = await ChatUsers.RegisterAsync(Api);
        using var http = new HttpClient { BaseAddress = Api };
        var unknown = $"nobody-{Guid.NewGuid():N}"[..20];

        using var wrong = await http.PostAsJsonAsync("/api/auth/login", new { userName = alice.UserName, password = "wrong password!" });
        using var missing = await http.PostAsJsonAsync("/api/auth/login", new { userName = unknown, password = "wrong password!" });
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        Assert.Equal(Detail(await wrong.Content.ReadAsStringAsync()), Detail(await missing.Content.ReadAsStringAsync()));

        for (var i = 0; i < 4; i++)
        {
            await http.PostAsJsonAsync("/api/auth/login", new { userName = alice.UserName, password = "wrong password!" });
            await http.PostAsJsonAsync("/api/auth/login", new { userName = unknown, password = "wrong password!" });
        }
        using var lockedKnown = await http.PostAsJsonAsync("/api/auth/login", new { userName = alice.UserName, password = ChatUsers.Password });
        using var lockedUnknown = await http.PostAsJsonAsync("/api/auth/login", new { userName = unknown, password = ChatUsers.Password });

        Assert.Equal(HttpStatusCode.TooManyRequests, lockedKnown.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, lockedUnknown.StatusCode);
    }

    [Fact]
    public async Task A_token_just_issued_is_accepted_at_once_by_every_api_replica_and_every_service()
    {
        using var http = new HttpClient { BaseAddress = Api };
        var name = $"n-{Guid.NewGuid():N}"[..20];
        using var register = await http.PostAsJsonAsync("/api/auth/register", new { userName = name, password = ChatUsers.Password });
        var token = (await register.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("tokens").GetProperty("accessToken").GetString();

        var targets = new List<(Uri Base, string Path)>();
        foreach (var replica in await ChatAppHost.ReplicaUrlsAsync(fixture.App, ResourceNames.Api))
        {
            targets.Add((replica, "/api/auth/me"));
            targets.Add((replica, "/api/channels"));
        }
        targets.Add((fixture.CreateClient(ResourceNames.Files).BaseAddress!, "/api/files"));
        targets.Add((fixture.CreateClient(ResourceNames.Rag).BaseAddress!, $"/api/rag/documents/by-file/{Guid.NewGuid()}"));
        var answers = await Task.WhenAll(targets.Select(async t =>
        {
            using var client = new HttpClient { BaseAddress = t.Base };
            client.DefaultRequestHeaders.Authorization = new("Bearer", token);
            using var response = await client.GetAsync(t.Path);
            return (t, response.StatusCode);
        }));

        Assert.Equal(HttpStatusCode.Created, register.StatusCode);
        Assert.True(targets.Count >= 6);
        // Authenticated everywhere: 200, or the RAG service's 404 for a document that does not exist.
        Assert.All(answers, a => Assert.Equal(a.t.Path.Contains("by-file", StringComparison.Ordinal) ? HttpStatusCode.NotFound : HttpStatusCode.OK, a.StatusCode));
    }

    [Fact]
    public async Task A_refresh_token_works_once_and_logout_revokes_it()
    {
        using var http = new HttpClient { BaseAddress = Api };
        var name = $"r-{Guid.NewGuid():N}"[..20];
        using var register = await http.PostAsJsonAsync("/api/auth/register", new { userName = name, password = ChatUsers.Password });
        var refresh = (await register.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("tokens").GetProperty("refreshToken").GetString();

        using var first = await http.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = refresh });
        var tokens = (await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("tokens");
        using var authed = new HttpClient { BaseAddress = Api };
        authed.DefaultRequestHeaders.Authorization = new("Bearer", tokens.GetProperty("accessToken").GetString());
        var me = await authed.GetFromJsonAsync<JsonElement>("/api/auth/me");
        using var logout = await authed.PostAsJsonAsync("/api/auth/logout", new { refreshToken = tokens.GetProperty("refreshToken").GetString() });
        using var afterLogout = await http.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = tokens.GetProperty("refreshToken").GetString() });
        using var replay = await http.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = refresh });

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, replay.StatusCode);
        Assert.Equal(name, me.GetProperty("userName").GetString());
        Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, afterLogout.StatusCode);
    }

    [Fact]
    public async Task Endpoints_other_than_health_and_login_require_a_token()
    {
        using var http = new HttpClient { BaseAddress = Api };

        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/api/channels")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/api/auth/me")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.PostAsync("/hubs/chat/negotiate?negotiateVersion=1", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health")).StatusCode);
    }

    private static string? Detail(string problem) => JsonDocument.Parse(problem).RootElement.GetProperty("detail").GetString();
}
