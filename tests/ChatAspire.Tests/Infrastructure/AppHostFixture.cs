using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace ChatAspire.Tests.Infrastructure;

/// <summary>
/// Starts the whole AppHost once per test collection: local Postgres and Redis processes with ephemeral data,
/// every service healthy before the first test runs. Tests create their own data.
/// </summary>
public sealed class AppHostFixture : IAsyncLifetime
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(4);

    /// <summary>The JWT signing key the AppHost hands to every service; in-process service hosts use it too.</summary>
    public static readonly string SigningKey = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    public DistributedApplication App { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        App = await StartAsync([]);
    }

    /// <summary>Builds and starts the AppHost in local-process, ephemeral mode and waits for every service to be healthy.</summary>
    public static async Task<DistributedApplication> StartAsync(string[] extraArgs, Action<IDistributedApplicationTestingBuilder>? configure = null)
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.ChatAspire_AppHost>(
        [
            "--ChatAspire:Infrastructure=process", "--ChatAspire:Ephemeral=true",
            // Prometheus on a free port, scraping fast, with the alert rules' `for:` shortened (same source file).
            "--ChatAspire:Monitoring:Port=0", "--ChatAspire:Monitoring:ScrapeInterval=1s",
            $"--ChatAspire:Monitoring:RulesFile={TestRules.ShortenedRulesFile}",
            $"--Parameters:jwt-signing-key={SigningKey}",
            .. extraArgs,
        ]);
        // No dashboard here: without this the OTLP exporters retry a dead endpoint and slow every shutdown.
        foreach (var project in builder.Resources.OfType<ProjectResource>())
        {
            project.Annotations.Add(new EnvironmentCallbackAnnotation(context => context.EnvironmentVariables.Remove("OTEL_EXPORTER_OTLP_ENDPOINT")));
        }
        builder.Resources.OfType<ProjectResource>().Single(r => r.Name == ResourceNames.Api).Annotations
            .Add(new EnvironmentCallbackAnnotation(context =>
            {
                context.EnvironmentVariables["Accounts__AdminUserName"] = ChatUsers.AdminUserName;
                // Every test signs up from one address; the per-address limit on /api/auth is for real clients.
                context.EnvironmentVariables["Accounts__AuthRequestsPerMinute"] = "100000";
                // Outgoing webhooks call a receiver the tests run on 127.0.0.1 (the refusal itself: NetworkGuardTests).
                context.EnvironmentVariables["Webhooks__AllowPrivateNetworks"] = "true";
            }));
        configure?.Invoke(builder);
        var app = await builder.BuildAsync();
        using var cts = new CancellationTokenSource(StartTimeout);
        await app.StartAsync(cts.Token);
        foreach (var service in (string[])[.. ResourceNames.Services, "prometheus"])
        {
            await app.ResourceNotifications.WaitForResourceHealthyAsync(service, cts.Token);
        }
        // A replicated resource is healthy as soon as one replica is; tests address replicas directly, so wait for each.
        using var probe = new HttpClient();
        foreach (var replica in await ReplicaUrlsAsync(app, ResourceNames.Api))
        {
            await Poll.UntilAsync(async () => (await probe.GetAsync(new Uri(replica, "/health/ready"), cts.Token).ContinueWith(t => t.IsCompletedSuccessfully && t.Result.IsSuccessStatusCode, TaskScheduler.Default)),
                StartTimeout, $"replica {replica} to be ready");
        }
        return app;
    }

    /// <summary>
    /// A client bound to one replica (the first unless <paramref name="replica"/> says otherwise), so a request and the
    /// <c>/metrics</c> read after it meet the same process. <see cref="ProxyClient"/> goes through the load-balancing proxy.
    /// </summary>
    public HttpClient CreateClient(string resource, int replica = 0) =>
        new() { BaseAddress = ReplicaUrlsAsync(App, resource).GetAwaiter().GetResult()[replica] };

    public HttpClient ProxyClient(string resource) => App.CreateHttpClient(resource);

    /// <summary>An environment variable as the AppHost handed it to a (first) replica of a resource.</summary>
    public async Task<string?> EnvironmentOfAsync(string resource, string name)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await foreach (var e in App.ResourceNotifications.WatchAsync(cts.Token))
        {
            if (e.Resource.Name == resource && e.Snapshot.EnvironmentVariables.FirstOrDefault(v => v.Name == name) is { } variable)
            {
                return variable.Value;
            }
        }
        return null;
    }

    /// <summary>The direct URL of every running replica of a project resource, ordered by replica id.</summary>
    public static async Task<IReadOnlyList<Uri>> ReplicaUrlsAsync(DistributedApplication app, string resource)
    {
        var expected = app.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<ProjectResource>()
            .Single(r => r.Name == resource).Annotations.OfType<ReplicaAnnotation>().SingleOrDefault()?.Replicas ?? 1;
        var urls = new SortedDictionary<string, Uri>(StringComparer.Ordinal);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await foreach (var e in app.ResourceNotifications.WatchAsync(cts.Token))
        {
            if (e.Resource.Name != resource)
            {
                continue;
            }
            if (e.Snapshot.State?.Text != KnownResourceStates.Running)
            {
                urls.Remove(e.ResourceId);
                continue;
            }
            var aspnetUrls = e.Snapshot.EnvironmentVariables.FirstOrDefault(v => v.Name == "ASPNETCORE_URLS")?.Value;
            var http = aspnetUrls?.Split(';').FirstOrDefault(u => u.StartsWith("http://", StringComparison.Ordinal));
            if (http is not null)
            {
                urls[e.ResourceId] = new Uri(http.Replace("+", "localhost", StringComparison.Ordinal).Replace("*", "localhost", StringComparison.Ordinal));
            }
            if (urls.Count == expected)
            {
                break;
            }
        }
        return [.. urls.Values];
    }

    public async Task<string> ConnectionStringAsync(string resource) =>
        await App.GetConnectionStringAsync(resource) ?? throw new InvalidOperationException($"No connection string for {resource}");

    /// <summary>Settings for an in-process service host: its database and Redis from this AppHost.</summary>
    public async Task<Dictionary<string, string?>> ServiceSettingsAsync(string database) => new()
    {
        [$"ConnectionStrings:{database}"] = await ConnectionStringAsync(database),
        ["ConnectionStrings:cache"] = await ConnectionStringAsync(ResourceNames.Redis),
    };

    public async Task DisposeAsync() => await App.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class AppHostCollection : ICollectionFixture<AppHostFixture>
{
    public const string Name = "AppHost";
}
