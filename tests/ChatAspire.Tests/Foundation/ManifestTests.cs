using System.Diagnostics;
using System.Text.Json;
using ChatAspire.Tests.Infrastructure;

namespace ChatAspire.Tests.Foundation;

public sealed class ManifestTests
{
    [Fact]
    public async Task Publishing_the_manifest_yields_containers_for_postgres_and_redis_and_a_project_per_service()
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
                         "--publisher", "manifest", "--output-path", output])
            {
                psi.ArgumentList.Add(arg);
            }
            using var process = Process.Start(psi)!;
            var log = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
            Assert.True(process.ExitCode == 0, await log + await errors);

            var resources = JsonDocument.Parse(await File.ReadAllTextAsync(output)).RootElement.GetProperty("resources");

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
        }
        finally
        {
            File.Delete(output);
        }
    }
}
