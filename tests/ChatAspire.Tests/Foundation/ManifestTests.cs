using System.Diagnostics;
using System.Text.Json;
using ChatAspire.Tests.Infrastructure;

namespace ChatAspire.Tests.Foundation;

public sealed class ManifestTests
{
    [Fact]
    public async Task Publishing_the_manifest_yields_containers_for_postgres_and_redis_and_a_project_per_service()
    {
        var resources = await PublishAsync();

        Assert.Equal("container.v0", resources.GetProperty(ResourceNames.Postgres).GetProperty("type").GetString());
        Assert.Equal("container.v0", resources.GetProperty(ResourceNames.Redis).GetProperty("type").GetString());
        // Persistence is the append-only file (docs/deployment.md), not only snapshots that lose their last interval.
        var redisCommand = resources.GetProperty(ResourceNames.Redis).GetProperty("args").EnumerateArray().Last().GetString();
        Assert.Contains("--appendonly yes --appendfsync everysec", redisCommand, StringComparison.Ordinal);
        foreach (var service in ResourceNames.Services)
        {
            Assert.Equal("project.v0", resources.GetProperty(service).GetProperty("type").GetString());
        }
        foreach (var db in (string[])[ResourceNames.ChatDb, ResourceNames.FilesDb, ResourceNames.RagDb])
        {
            Assert.Equal("value.v0", resources.GetProperty(db).GetProperty("type").GetString());
        }
        Assert.False(resources.TryGetProperty("oidc-client-secret", out _)); // single sign-on is off unless configured
    }

    [Fact]
    public async Task Single_sign_on_settings_of_the_AppHost_reach_chat_api_with_the_client_secret_as_a_secret_parameter()
    {
        var resources = await PublishAsync("--ChatAspire:Oidc:Authority=https://sso.example.com/realms/acme", "--ChatAspire:Oidc:ClientId=chataspire",
            "--ChatAspire:Oidc:RoleClaim=groups", "--ChatAspire:Oidc:AdminValues:0=chat-admins", "--ChatAspire:LocalAccounts=false");

        var env = resources.GetProperty(ResourceNames.Api).GetProperty("env");
        Assert.Equal("https://sso.example.com/realms/acme", env.GetProperty("Auth__Oidc__Authority").GetString());
        Assert.Equal("chataspire", env.GetProperty("Auth__Oidc__ClientId").GetString());
        Assert.Equal("groups", env.GetProperty("Auth__Oidc__RoleClaim").GetString());
        Assert.Equal("chat-admins", env.GetProperty("Auth__Oidc__AdminValues__0").GetString());
        Assert.Equal("false", env.GetProperty("Auth__LocalAccounts").GetString());
        Assert.Equal("{oidc-client-secret.value}", env.GetProperty("Auth__Oidc__ClientSecret").GetString());
        var secret = resources.GetProperty("oidc-client-secret");
        Assert.Equal("parameter.v0", secret.GetProperty("type").GetString());
        Assert.True(secret.GetProperty("inputs").GetProperty("value").GetProperty("secret").GetBoolean());
        Assert.False(resources.GetProperty(ResourceNames.Files).GetProperty("env").TryGetProperty("Auth__Oidc__Authority", out _));
    }

    /// <summary>The AppHost's deployment manifest (<c>--publisher manifest</c>) with <paramref name="settings"/>: its resources.</summary>
    private static async Task<JsonElement> PublishAsync(params string[] settings)
    {
        var output = Path.Combine(Path.GetTempPath(), $"chataspire-manifest-{Guid.NewGuid():N}.json");
        try
        {
            var psi = new ProcessStartInfo("dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = RepoPaths.Combine("ChatAspire.AppHost"),
            };
            foreach (var arg in (string[])["run", "--no-build", "-c", RepoPaths.Configuration, "--no-launch-profile", "--",
                         "--publisher", "manifest", "--output-path", output, .. settings])
            {
                psi.ArgumentList.Add(arg);
            }
            using var process = Process.Start(psi)!;
            var log = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
            Assert.True(process.ExitCode == 0, await log + await errors);
            return JsonDocument.Parse(await File.ReadAllTextAsync(output)).RootElement.GetProperty("resources").Clone();
        }
        finally
        {
            File.Delete(output);
        }
    }
}
