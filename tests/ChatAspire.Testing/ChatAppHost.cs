using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using ChatAspire.Contracts;
using Microsoft.Extensions.DependencyInjection;

namespace ChatAspire.Testing;

/// <summary>
/// The whole AppHost for the tests, the benches and the eval: local Postgres and Redis processes with throwaway data, so
/// every start is a fresh system. One place for how it is started and how its replicas are found.
/// </summary>
public static class ChatAppHost
{
    /// <summary>How long a start may take on two busy cores (the services, Postgres, Redis, Prometheus and the model).</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(4);

    /// <summary>Local processes instead of containers (no Docker here), and data that goes with the AppHost.</summary>
    private static readonly string[] Throwaway = ["--ChatAspire:Infrastructure=process", "--ChatAspire:Ephemeral=true"];

    /// <summary>A testing builder for the AppHost with throwaway data; <paramref name="args"/> are its settings on top.</summary>
    /// <param name="dashboard">With the Aspire dashboard, as a person runs it (OTLP received, telemetry API served).</param>
    public static Task<IDistributedApplicationTestingBuilder> CreateBuilderAsync(IEnumerable<string> args, bool dashboard = false) =>
        DistributedApplicationTestingBuilder.CreateAsync<Projects.ChatAspire_AppHost>([.. Throwaway, .. args], (options, _) =>
        {
            options.DisableDashboard = !dashboard;
            options.AllowUnsecuredTransport = true;
        });

    /// <summary>
    /// The services export no OTLP. Without a dashboard nothing receives it, and the exporters would retry a dead endpoint
    /// and slow every shutdown.
    /// </summary>
    public static IDistributedApplicationTestingBuilder WithoutOtlpExport(this IDistributedApplicationTestingBuilder builder) =>
        builder.WithServiceEnvironment(environment => environment.Remove("OTEL_EXPORTER_OTLP_ENDPOINT"));

    /// <summary>Changes the environment every service process (or only <paramref name="resource"/>) is started with.</summary>
    public static IDistributedApplicationTestingBuilder WithServiceEnvironment(this IDistributedApplicationTestingBuilder builder,
        Action<Dictionary<string, object>> change, string? resource = null)
    {
        foreach (var project in builder.Resources.OfType<ProjectResource>().Where(p => resource is null || p.Name == resource))
        {
            project.Annotations.Add(new EnvironmentCallbackAnnotation(context => change(context.EnvironmentVariables)));
        }
        return builder;
    }

    /// <summary>Sets these variables for every service process (or only <paramref name="resource"/>).</summary>
    public static IDistributedApplicationTestingBuilder WithServiceEnvironment(this IDistributedApplicationTestingBuilder builder,
        IReadOnlyDictionary<string, string> variables, string? resource = null) =>
        builder.WithServiceEnvironment(environment =>
        {
            foreach (var (key, value) in variables)
            {
                environment[key] = value;
            }
        }, resource);

    /// <summary>
    /// Builds and starts the AppHost, then waits until each of <paramref name="healthy"/> is healthy. A replicated project
    /// counts as healthy once one replica is, so each replica's <c>/health/ready</c> is awaited too: callers address
    /// replicas directly.
    /// </summary>
    public static async Task<DistributedApplication> StartAsync(this IDistributedApplicationTestingBuilder builder, IEnumerable<string> healthy,
        TimeSpan? timeout = null)
    {
        var app = await builder.BuildAsync();
        try
        {
            using var cts = new CancellationTokenSource(timeout ?? StartTimeout);
            await app.StartAsync(cts.Token);
            var projects = app.Services.GetRequiredService<DistributedApplicationModel>().Resources.OfType<ProjectResource>().ToDictionary(p => p.Name);
            using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            foreach (var resource in healthy)
            {
                await app.ResourceNotifications.WaitForResourceHealthyAsync(resource, cts.Token);
                if (projects.TryGetValue(resource, out var project) && project.Annotations.OfType<ReplicaAnnotation>().Any(r => r.Replicas > 1))
                {
                    foreach (var replica in await ReplicaUrlsAsync(app, resource))
                    {
                        await Poll.UntilAsync(async () => await ReadyAsync(probe, replica), timeout ?? StartTimeout, $"replica {replica} to be ready");
                    }
                }
            }
            return app;
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    private static async Task<bool> ReadyAsync(HttpClient probe, Uri replica)
    {
        try
        {
            using var response = await probe.GetAsync(new Uri(replica, "/health/ready"));
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (TaskCanceledException)
        {
            return false;
        }
    }

    /// <summary>
    /// The direct URL of every running replica of a project resource, ordered by replica id (the AppHost's proxy spreads
    /// requests over them; a test or a bench that reads one replica's <c>/metrics</c> after a request goes to it directly).
    /// Waits up to 30 s for every replica to be running.
    /// </summary>
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

    /// <summary>The URL of a resource's endpoint (e.g. the dashboard's or Prometheus' "http").</summary>
    public static Uri EndpointUrl(DistributedApplication app, string resource, string endpoint = "http") =>
        new(app.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == resource)
            .Annotations.OfType<EndpointAnnotation>().Single(e => e.Name == endpoint).AllocatedEndpoint!.UriString);
}
