using System.Text.Json;
using ChatAspire.Tests.Infrastructure;
using Npgsql;

namespace ChatAspire.Tests.Security;

/// <summary>The audit trail: security-relevant actions recorded append-only in Postgres, read by admins only.</summary>
public sealed class AuditTests(AppHostFixture fixture)
{
    private Uri Api => fixture.ProxyClient(ResourceNames.Api).BaseAddress!;

    [Fact]
    public async Task Security_actions_are_recorded_newest_first_with_actor_target_source_and_trace_and_only_admins_read_them()
    {
        var admin = await ChatUsers.AdminAsync(Api);
        var alice = await ChatUsers.RegisterAsync(Api, "audit-a");
        var bob = await ChatUsers.RegisterAsync(Api, "audit-b");
        using (var anonymous = new HttpClient { BaseAddress = Api })
        using (var failed = await anonymous.PostAsJsonAsync("/api/auth/login", new { userName = alice.UserName, password = "not the password" }))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, failed.StatusCode);
        }
        var channel = await alice.CreateChannelAsync();
        await alice.InviteAsync(channel, bob);
        using (var http = bob.Http())
        using (var left = await http.PostAsync($"/api/channels/{channel}/leave", null))
        {
            Assert.Equal(HttpStatusCode.NoContent, left.StatusCode);
        }
        using (var http = alice.Http())
        {
            using var created = await http.PostAsJsonAsync($"/api/channels/{channel}/webhooks", new { name = "CI" });
            var webhook = (await created.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
            (await http.DeleteAsync($"/api/channels/{channel}/webhooks/{webhook}")).EnsureSuccessStatusCode();
        }
        using (var http = admin.Http())
        {
            (await http.PutAsJsonAsync($"/api/users/{bob.Id}/role", new { role = "guest" })).EnsureSuccessStatusCode();
        }
        using (var http = alice.Http())
        {
            (await http.PostAsJsonAsync("/api/auth/logout", new { })).EnsureSuccessStatusCode();
        }

        using var reader = admin.Http();
        var mine = (await reader.GetFromJsonAsync<JsonElement[]>($"/api/admin/audit?actor={alice.UserName}"))!;
        Assert.Equal(
            ["sign_out", "webhook_revoked", "webhook_created", "member_added", "channel_created", "sign_in", "account_created"],
            mine.Select(e => e.GetProperty("action").GetString()));
        Assert.Equal(mine.Select(e => e.GetProperty("id").GetInt64()).OrderDescending(), mine.Select(e => e.GetProperty("id").GetInt64()));
        var failure = mine.Single(e => e.GetProperty("action").GetString() == "sign_in");
        Assert.Equal("failure", failure.GetProperty("outcome").GetString());
        Assert.Equal("wrong password", failure.GetProperty("detail").GetString());
        Assert.Equal(alice.Id, failure.GetProperty("actorId").GetGuid());
        Assert.All(mine, e =>
        {
            Assert.False(string.IsNullOrEmpty(e.GetProperty("source").GetString()));
            Assert.Matches("^[0-9a-f]{32}$", e.GetProperty("traceId").GetString());
            Assert.True(e.GetProperty("at").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(-5));
        });
        var added = mine.Single(e => e.GetProperty("action").GetString() == "member_added");
        Assert.Equal(("channel", channel.ToString()), (added.GetProperty("targetType").GetString(), added.GetProperty("targetId").GetString()));
        Assert.Contains(bob.Id.ToString(), added.GetProperty("detail").GetString());

        var byBob = await reader.GetFromJsonAsync<JsonElement[]>($"/api/admin/audit?actor={bob.Id}&action=member_left");
        Assert.Equal(channel.ToString(), Assert.Single(byBob!).GetProperty("targetId").GetString());
        var roleChange = (await reader.GetFromJsonAsync<JsonElement[]>($"/api/admin/audit?actor={admin.Id}&action=role_changed"))!
            .First(e => e.GetProperty("targetId").GetString() == bob.Id.ToString());
        Assert.Equal($"{bob.UserName}: user → guest", roleChange.GetProperty("detail").GetString());
        Assert.Equal(ChatUsers.AdminUserName, roleChange.GetProperty("actorName").GetString());

        // Pages: newest first, the next page from the last id seen.
        var first = await reader.GetFromJsonAsync<JsonElement[]>($"/api/admin/audit?actor={alice.UserName}&limit=3");
        var next = await reader.GetFromJsonAsync<JsonElement[]>($"/api/admin/audit?actor={alice.UserName}&limit=3&before={first![^1].GetProperty("id").GetInt64()}");
        Assert.Equal(mine.Select(e => e.GetProperty("id").GetInt64()).Take(6), first.Concat(next!).Select(e => e.GetProperty("id").GetInt64()));

        using (var bad = await reader.GetAsync("/api/admin/audit?action=drop_tables&limit=0"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            var errors = (await bad.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
            Assert.True(errors.TryGetProperty("action", out _) && errors.TryGetProperty("limit", out _), errors.ToString());
        }
        var someone = await ChatUsers.RegisterAsync(Api, "audit-c");
        using (var http = someone.Http())
        using (var refused = await http.GetAsync("/api/admin/audit"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }
    }

    [Fact]
    public async Task A_replayed_refresh_token_is_recorded_as_a_failure_against_its_owner()
    {
        var carol = await ChatUsers.RegisterAsync(Api, "audit-r");
        using var anonymous = new HttpClient { BaseAddress = Api };
        var login = await (await anonymous.PostAsJsonAsync("/api/auth/login", new { userName = carol.UserName, password = ChatUsers.Password }))
            .EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonElement>();
        var refresh = login.GetProperty("tokens").GetProperty("refreshToken").GetString();
        (await anonymous.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = refresh })).EnsureSuccessStatusCode();
        using (var replay = await anonymous.PostAsJsonAsync("/api/auth/refresh", new { refreshToken = refresh }))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, replay.StatusCode);
        }

        using var reader = (await ChatUsers.AdminAsync(Api)).Http();
        var entries = await reader.GetFromJsonAsync<JsonElement[]>($"/api/admin/audit?actor={carol.Id}&action=refresh_token_reuse");
        var entry = Assert.Single(entries!);
        Assert.Equal("failure", entry.GetProperty("outcome").GetString());
        Assert.Equal("session", entry.GetProperty("targetType").GetString());
        Assert.DoesNotContain(refresh!, entry.GetRawText());
    }

    [Fact]
    public async Task A_file_deleted_on_Chat_Files_is_recorded_once_against_its_owner()
    {
        var dave = await ChatUsers.RegisterAsync(Api, "audit-f");
        var file = await fixture.UploadAsync(dave, "notes.txt", "to be deleted"u8.ToArray());
        // The deletion starts its own trace on Chat.Files: this client sends no trace context, so nothing else the test
        // process is doing at the time (in-process services of other tests listening to HttpClient) decides its sampling.
        var filesUrl = (await ChatAppHost.ReplicaUrlsAsync(fixture.App, ResourceNames.Files))[0];
        using (var files = new HttpClient(new SocketsHttpHandler { ActivityHeadersPropagator = null }) { BaseAddress = filesUrl })
        {
            files.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", dave.Token);
            (await files.DeleteAsync($"/api/files/{file}")).EnsureSuccessStatusCode();
        }

        using var reader = (await ChatUsers.AdminAsync(Api)).Http();
        JsonElement[] entries = [];
        await Poll.UntilAsync(async () =>
        {
            entries = (await reader.GetFromJsonAsync<JsonElement[]>($"/api/admin/audit?actor={dave.Id}&action=file_deleted"))!;
            return entries.Length > 0;
        }, TimeSpan.FromSeconds(30), "the deletion to reach the audit trail");
        var entry = Assert.Single(entries);
        Assert.Equal(("file", file.ToString()), (entry.GetProperty("targetType").GetString(), entry.GetProperty("targetId").GetString()));
        Assert.Matches("^[0-9a-f]{32}$", entry.GetProperty("traceId").GetString());
    }

    [Fact]
    public async Task The_trail_cannot_be_changed_or_deleted_even_with_direct_database_access()
    {
        await ChatUsers.RegisterAsync(Api, "audit-x"); // at least one entry
        await using var connection = new NpgsqlConnection(await fixture.ConnectionStringAsync(ResourceNames.ChatDb));
        await connection.OpenAsync();
        foreach (var sql in new[]
        {
            """UPDATE audit_entries SET "Detail" = 'rewritten' WHERE "Id" = (SELECT max("Id") FROM audit_entries)""",
            """DELETE FROM audit_entries WHERE "Id" = (SELECT max("Id") FROM audit_entries)""",
            "TRUNCATE audit_entries",
        })
        {
            await using var command = new NpgsqlCommand(sql, connection);
            var refused = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync());
            Assert.Contains("append-only", refused.MessageText);
        }
        await using var count = new NpgsqlCommand("""SELECT count(*) FROM audit_entries WHERE "Detail" = 'rewritten'""", connection);
        Assert.Equal(0L, (long)(await count.ExecuteScalarAsync())!);
    }
}
