using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ChatAspire.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ChatAspire.Tests.Foundation;

/// <summary>
/// The routes each service maps, the OpenAPI document it serves, and the copy committed in docs/openapi/ are the same
/// three lists, so neither the document nor the docs can drift from the code. After a deliberate change to the API,
/// <c>CHATASPIRE_WRITE_OPENAPI=1 dotnet test tests/ChatAspire.Tests --filter FullyQualifiedName~OpenApiTests</c>
/// writes the committed copies again (the only time a test writes a tracked file; never in CI).
/// </summary>
[Collection(ExclusiveCollection.Name)]
public sealed partial class OpenApiTests(AppHostFixture fixture)
{
    public static TheoryData<string> Services => [ResourceNames.Api, ResourceNames.Files, ResourceNames.Rag, ResourceNames.AiWorker];

    [Theory]
    [MemberData(nameof(Services))]
    public async Task Every_mapped_route_is_in_the_served_OpenAPI_document_and_the_committed_one_matches_it(string service)
    {
        var (mapped, served) = service switch
        {
            ResourceNames.Api => await ReadAsync(new ServiceFactory<global::Chat.Api.Data.ChatDbContext>(
                await fixture.ServiceSettingsAsync(ResourceNames.ChatDb)) { ConfigureTestServices = NoBackgroundWork }),
            ResourceNames.Files => await ReadAsync(new ServiceFactory<global::Chat.Files.Data.FilesDbContext>(
                await fixture.ServiceSettingsAsync(ResourceNames.FilesDb)) { ConfigureTestServices = NoBackgroundWork }),
            ResourceNames.AiWorker => await ReadAsync(new ServiceFactory<global::Chat.AiWorker.AiTelemetry>(new Dictionary<string, string?>
            {
                ["ConnectionStrings:cache"] = await fixture.ConnectionStringAsync(ResourceNames.Redis),
            }) { ConfigureTestServices = NoBackgroundWork }),
            _ => await ReadAsync(new ServiceFactory<global::Chat.RagService.Data.RagDbContext>(
                await fixture.ServiceSettingsAsync(ResourceNames.RagDb)) { ConfigureTestServices = NoBackgroundWork }),
        };

        var documented = served["paths"]!.AsObject()
            .SelectMany(p => p.Value!.AsObject().Where(o => o.Key is not ("parameters" or "summary" or "description" or "servers"))
                .Select(operation => $"{operation.Key.ToUpperInvariant()} {p.Key.TrimEnd('/')}"))
            .ToHashSet();
        Assert.NotEmpty(mapped);
        Assert.Empty(mapped.Except(documented).Order()); // mapped but missing from the OpenAPI document
        Assert.Empty(documented.Except(mapped).Order()); // documented but not mapped

        var path = RepoPaths.Combine("docs", "openapi", $"{service}.json");
        served.AsObject().Remove("servers"); // the host and port of this run
        var text = served.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
        if (Environment.GetEnvironmentVariable("CHATASPIRE_WRITE_OPENAPI") == "1" && Environment.GetEnvironmentVariable("CI") is null)
        {
            await File.WriteAllTextAsync(path, text);
        }
        Assert.True(File.Exists(path), $"{path} is missing: write it with CHATASPIRE_WRITE_OPENAPI=1 (see {nameof(OpenApiTests)})");
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(await File.ReadAllTextAsync(path)), served),
            $"{path} differs from what {service} serves: after a deliberate API change, write it again with CHATASPIRE_WRITE_OPENAPI=1");
    }

    /// <summary>
    /// Only the routes are read: none of the service's own consumers, relays or migrations runs beside the AppHost's. The
    /// framework's hosted services stay (the web server is one).
    /// </summary>
    private static void NoBackgroundWork(IServiceCollection services)
    {
        foreach (var own in services.Where(d => d.ServiceType == typeof(IHostedService)
            && d.ImplementationType?.Assembly.GetName().Name?.StartsWith("Microsoft.", StringComparison.Ordinal) != true).ToList())
        {
            services.Remove(own);
        }
    }

    private static async Task<(HashSet<string> Mapped, JsonNode Served)> ReadAsync<T>(ServiceFactory<T> factory) where T : class
    {
        await using (factory)
        {
            using var client = factory.CreateClient();
            var served = JsonNode.Parse(await client.GetStringAsync("/openapi/v1.json"))!;
            var mapped = factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
                .Where(e => e.RoutePattern.RawText is { } raw && raw.StartsWith("/api/", StringComparison.Ordinal))
                .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? [])
                    .Select(method => $"{method} {OpenApiPath(e.RoutePattern.RawText!)}"))
                .ToHashSet();
            return (mapped, served);
        }
    }

    /// <summary>A route template as OpenAPI writes its path: <c>{id:guid}</c> → <c>{id}</c>, no trailing slash.</summary>
    private static string OpenApiPath(string template) => RouteParameter().Replace(template, "{$1}").TrimEnd('/');

    [GeneratedRegex(@"\{\**([A-Za-z0-9_]+)[^}]*\}")]
    private static partial Regex RouteParameter();
}
