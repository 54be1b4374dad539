using System.Text.Json;

namespace ChatAspire.Tests.Infrastructure;

/// <summary>Uploads through the AppHost's Chat.Files, as a user.</summary>
public static class TestFiles
{
    public static async Task<Guid> UploadAsync(this AppHostFixture fixture, ChatUser user, string name, byte[] bytes)
    {
        using var files = fixture.ProxyClient(ResourceNames.Files);
        files.DefaultRequestHeaders.Authorization = new("Bearer", user.Token);
        using var response = await files.PostAsync("/api/files", Samples.Multipart(name, bytes));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }
}
