using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;

namespace ChatAspire.Tests.Infrastructure;

/// <summary>A registered test user: a token, an HTTP client, and hub connections to any replica.</summary>
public sealed class ChatUser(Guid id, string userName, string token, Uri baseAddress)
{
    public Guid Id { get; } = id;
    public string UserName { get; } = userName;
    public string Token { get; } = token;

    public HttpClient Http(Uri? replica = null)
    {
        var client = new HttpClient { BaseAddress = replica ?? baseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        return client;
    }

    public async Task<HubConnection> ConnectAsync(Uri? replica = null)
    {
        var hub = new HubConnectionBuilder()
            // WebSockets without negotiation: one request, so a round-robin proxy cannot split it across replicas.
            .WithUrl(new Uri(replica ?? baseAddress, "/hubs/chat"), o =>
            {
                o.AccessTokenProvider = () => Task.FromResult<string?>(Token);
                o.SkipNegotiation = true;
                o.Transports = Microsoft.AspNetCore.Http.Connections.HttpTransportType.WebSockets;
            })
            .Build();
        // The handshake completes before the server has joined the connection to its groups; "Ready" says it has.
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (hub.On("Ready", () => ready.TrySetResult()))
        {
            await hub.StartAsync();
            await ready.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }
        return hub;
    }
}

/// <summary>Creates users with unique names so tests never share data.</summary>
public static class ChatUsers
{
    public const string AdminUserName = "test-admin";
    public const string Password = "correct horse battery staple";

    private static readonly SemaphoreSlim AdminGate = new(1, 1);

    public static async Task<ChatUser> RegisterAsync(Uri api, string? prefix = null)
    {
        var name = $"{prefix ?? "u"}-{Guid.NewGuid():N}"[..24];
        using var http = new HttpClient { BaseAddress = api };
        using var response = await http.PostAsJsonAsync("/api/auth/register", new { userName = name, password = Password });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return await ToUserAsync(response, api);
    }

    /// <summary>The configured admin account (<see cref="AdminUserName"/>), registered on first use.</summary>
    public static async Task<ChatUser> AdminAsync(Uri api)
    {
        await AdminGate.WaitAsync();
        try
        {
            using var http = new HttpClient { BaseAddress = api };
            using var login = await http.PostAsJsonAsync("/api/auth/login", new { userName = AdminUserName, password = Password });
            if (login.IsSuccessStatusCode)
            {
                return await ToUserAsync(login, api);
            }
            using var register = await http.PostAsJsonAsync("/api/auth/register", new { userName = AdminUserName, password = Password });
            Assert.True(register.IsSuccessStatusCode, await register.Content.ReadAsStringAsync());
            return await ToUserAsync(register, api);
        }
        finally
        {
            AdminGate.Release();
        }
    }

    public static async Task<ChatUser> LoginAsync(Uri api, string userName)
    {
        using var http = new HttpClient { BaseAddress = api };
        using var response = await http.PostAsJsonAsync("/api/auth/login", new { userName, password = Password });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return await ToUserAsync(response, api);
    }

    private static async Task<ChatUser> ToUserAsync(HttpResponseMessage response, Uri api)
    {
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var user = body.GetProperty("user");
        return new ChatUser(user.GetProperty("id").GetGuid(), user.GetProperty("userName").GetString()!,
            body.GetProperty("tokens").GetProperty("accessToken").GetString()!, api);
    }

    public static async Task<Guid> CreateChannelAsync(this ChatUser owner, string kind = "private")
    {
        using var http = owner.Http();
        using var response = await http.PostAsJsonAsync("/api/channels", new { name = $"c-{Guid.NewGuid():N}", kind });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }

    public static async Task InviteAsync(this ChatUser owner, Guid channelId, ChatUser member)
    {
        using var http = owner.Http();
        using var response = await http.PostAsJsonAsync($"/api/channels/{channelId}/members", new { userId = member.Id });
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    public static async Task<HttpResponseMessage> PostAsync(this ChatUser user, Guid channelId, string content, Guid? clientMessageId = null, Uri? replica = null)
    {
        using var http = user.Http(replica);
        return await http.PostAsJsonAsync($"/api/channels/{channelId}/messages", new { content, clientMessageId });
    }

    public static async Task<JsonElement[]> HistoryAsync(this ChatUser user, Guid channelId, string query = "")
    {
        using var http = user.Http();
        var page = await http.GetFromJsonAsync<JsonElement>($"/api/channels/{channelId}/messages{query}");
        return [.. page.EnumerateArray()];
    }

    /// <summary>A download grant from Chat.Api for <paramref name="fileId"/>, or null when Chat.Api refuses it (404).</summary>
    public static async Task<global::Chat.Api.Attachments.FileGrantDto?> GrantAsync(this ChatUser user, Guid fileId)
    {
        using var http = user.Http();
        using var response = await http.PostAsync($"/api/files/{fileId}/grant", null);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<global::Chat.Api.Attachments.FileGrantDto>();
    }
}
