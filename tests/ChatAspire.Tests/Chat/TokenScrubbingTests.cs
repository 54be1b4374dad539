using System.Diagnostics;
using System.Text.Json;
using Chat.Api.Data;
using ChatAspire.Tests.Infrastructure;
using OpenTelemetry.Trace;

namespace ChatAspire.Tests.Chat;

[Collection(ExclusiveCollection.Name)]
public sealed class TokenScrubbingTests(AppHostFixture fixture)
{
    [Fact]
    public async Task A_hub_token_passed_in_the_query_string_reaches_neither_logs_nor_spans()
    {
        var spans = new List<Activity>();
        var settings = await fixture.ServiceSettingsAsync(ResourceNames.ChatDb);
        settings["Logging:LogLevel:Default"] = "Trace";
        await using var api = new ServiceFactory<ChatDbContext>(settings);
        using var client = api.WithWebHostBuilder(b => b.ConfigureServices(s =>
            s.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(spans)))).CreateClient();
        using var register = await client.PostAsJsonAsync("/api/auth/register",
            new { userName = $"t-{Guid.NewGuid():N}"[..20], password = ChatUsers.Password });
        var token = (await register.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("tokens").GetProperty("accessToken").GetString()!;

        using var negotiate = await client.PostAsync($"/hubs/chat/negotiate?negotiateVersion=1&access_token={token}", null);

        Assert.Equal(HttpStatusCode.OK, negotiate.StatusCode); // the query token was accepted...
        Assert.NotEmpty(api.Logs.Records);
        Assert.DoesNotContain(api.Logs.Records, r => r.Message.Contains(token, StringComparison.Ordinal)
            || r.Fields.Values.Any(v => v?.ToString()?.Contains(token, StringComparison.Ordinal) == true));
        var negotiateSpan = Assert.Single(spans, s => s.GetTagItem("url.path") as string == "/hubs/chat/negotiate");
        Assert.DoesNotContain(negotiateSpan.TagObjects, t => t.Value?.ToString()?.Contains(token, StringComparison.Ordinal) == true);
        Assert.Equal("negotiateVersion=REDACTED&access_token=REDACTED", negotiateSpan.GetTagItem("url.query"));
    }
}
