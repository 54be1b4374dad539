using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using ChatAspire.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

[assembly: AssemblyFixture(typeof(AppHostFixture))]

namespace ChatAspire.Tests.Infrastructure;

/// <summary>
/// The system every service test shares: the whole AppHost, started once for the test assembly (an xunit assembly
/// fixture) with local Postgres and Redis processes and throwaway data, every service and every API replica ready before
/// the first test. Tests create their own users and channels, so test classes run in parallel against it; the few that
/// change what others would see (stop a service, read a process-wide counter) are in <see cref="ExclusiveCollection"/>.
/// </summary>
public sealed class AppHostFixture : IAsyncLifetime
{
    /// <summary>The JWT signing key the AppHost hands to every service; in-process service hosts use it too.</summary>
    public static readonly string SigningKey = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    public DistributedApplication App { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        App = await StartAsync([]);
    }

    /// <summary>
    /// Builds and starts an AppHost as the tests use it (<see cref="ChatAppHost"/> plus the tests' settings) and waits for
    /// every service, every API replica and Prometheus.
    /// </summary>
    public static async Task<DistributedApplication> StartAsync(string[] extraArgs, Action<IDistributedApplicationTestingBuilder>? configure = null)
    {
        var builder = await ChatAppHost.CreateBuilderAsync(
        [
            // Prometheus on a free port, scraping fast, with the alert rules' `for:` shortened (same source file).
            "--ChatAspire:Monitoring:Port=0", "--ChatAspire:Monitoring:ScrapeInterval=1s",
            $"--ChatAspire:Monitoring:RulesFile={AlertRules.ShortenedFile}",
            $"--Parameters:jwt-signing-key={SigningKey}",
            .. extraArgs,
        ]);
        builder.WithoutOtlpExport().WithServiceEnvironment(new Dictionary<string, string>
        {
            ["Accounts__AdminUserName"] = ChatUsers.AdminUserName,
            // Every test signs up from one address; the per-address limit on /api/auth is for real clients.
            ["Accounts__AuthRequestsPerMinute"] = "100000",
            // Outgoing webhooks call a receiver the tests run on 127.0.0.1 (the refusal itself: NetworkGuardTests).
            ["Webhooks__AllowPrivateNetworks"] = "true",
        }, ResourceNames.Api);
        configure?.Invoke(builder);
        return await builder.StartAsync([.. ResourceNames.Services, "prometheus"]);
    }

    /// <summary>
    /// A client bound to one replica (the first unless <paramref name="replica"/> says otherwise), so a request and the
    /// <c>/metrics</c> read after it meet the same process. <see cref="ProxyClient"/> goes through the load-balancing proxy.
    /// The lookup runs on the thread pool: test classes run in parallel on xunit's few threads, and a wait that blocked one
    /// of them for a continuation queued to the same threads could block them all.
    /// </summary>
    public HttpClient CreateClient(string resource, int replica = 0) =>
        new() { BaseAddress = Task.Run(() => ChatAppHost.ReplicaUrlsAsync(App, resource)).GetAwaiter().GetResult()[replica] };

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

    public async Task<string> ConnectionStringAsync(string resource) =>
        await App.GetConnectionStringAsync(resource) ?? throw new InvalidOperationException($"No connection string for {resource}");

    /// <summary>Settings for an in-process service host: its database and Redis from this AppHost.</summary>
    public async Task<Dictionary<string, string?>> ServiceSettingsAsync(string database) => new()
    {
        [$"ConnectionStrings:{database}"] = await ConnectionStringAsync(database),
        ["ConnectionStrings:cache"] = await ConnectionStringAsync(ResourceNames.Redis),
    };

    public async ValueTask DisposeAsync() => await App.DisposeAsync();
}

/// <summary>
/// Test classes that must have the shared AppHost to themselves: they stop or replace a service, count a process-wide
/// metric or log before and after, or read what any test could have written. xunit runs this collection after the
/// parallel ones, one class at a time.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ExclusiveCollection
{
    public const string Name = "Exclusive";
}
