using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using ChatAspire.AppHost;

namespace ChatAspire.Tests.Infrastructure;

/// <summary>
/// Starts the whole AppHost once per test collection: local Postgres and Redis processes with ephemeral data,
/// every service healthy before the first test runs. Tests create their own data.
/// </summary>
public sealed class AppHostFixture : IAsyncLifetime
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(4);

    public DistributedApplication App { get; private set; } = null!;

    public TimeSpan StartDuration { get; private set; }

    public async Task InitializeAsync()
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        App = await StartAsync([]);
        StartDuration = started.Elapsed;
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
            .. extraArgs,
        ]);
        // No dashboard here: without this the OTLP exporters retry a dead endpoint and slow every shutdown.
        foreach (var project in builder.Resources.OfType<ProjectResource>())
        {
            project.Annotations.Add(new EnvironmentCallbackAnnotation(context => context.EnvironmentVariables.Remove("OTEL_EXPORTER_OTLP_ENDPOINT")));
        }
        configure?.Invoke(builder);
        var app = await builder.BuildAsync();
        using var cts = new CancellationTokenSource(StartTimeout);
        await app.StartAsync(cts.Token);
        foreach (var service in (string[])[.. ResourceNames.Services, "prometheus"])
        {
            await app.ResourceNotifications.WaitForResourceHealthyAsync(service, cts.Token);
        }
        return app;
    }

    public HttpClient CreateClient(string resource) => App.CreateHttpClient(resource);

    public async Task<string> ConnectionStringAsync(string resource) =>
        await App.GetConnectionStringAsync(resource) ?? throw new InvalidOperationException($"No connection string for {resource}");

    public async Task DisposeAsync() => await App.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class AppHostCollection : ICollectionFixture<AppHostFixture>
{
    public const string Name = "AppHost";
}
