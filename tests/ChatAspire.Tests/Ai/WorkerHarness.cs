using Aspire.Hosting.ApplicationModel;
using Chat.AiWorker;
using ChatAspire.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace ChatAspire.Tests.Ai;

/// <summary>
/// Replaces the AppHost's AI worker with in-process ones the test controls (stop one mid-reply, point one at a fake
/// model server, export its spans in memory). The AppHost worker is stopped for the test and started again after.
/// </summary>
public sealed class WorkerHarness : IAsyncDisposable
{
    private readonly AppHostFixture _fixture;
    private readonly Dictionary<string, string?> _settings;

    private WorkerHarness(AppHostFixture fixture, Dictionary<string, string?> settings)
    {
        _fixture = fixture;
        _settings = settings;
    }

    public static async Task<WorkerHarness> StartAsync(AppHostFixture fixture)
    {
        var commands = fixture.App.Services.GetRequiredService<ResourceCommandService>();
        var stopped = await commands.ExecuteCommandAsync(ResourceNames.AiWorker, "resource-stop");
        Assert.True(stopped.Success, stopped.Message);
        var api = (await ChatAppHost.ReplicaUrlsAsync(fixture.App, ResourceNames.Api))[0];
        var rag = (await ChatAppHost.ReplicaUrlsAsync(fixture.App, ResourceNames.Rag))[0];
        return new WorkerHarness(fixture, new()
        {
            ["ConnectionStrings:cache"] = await fixture.ConnectionStringAsync(ResourceNames.Redis),
            ["services:api:http:0"] = api.ToString(),
            ["services:rag:http:0"] = rag.ToString(),
            ["Ai:Worker:Stream:ClaimIdle"] = "00:00:02",
        });
    }

    /// <summary>An in-process worker; <paramref name="settings"/> override the defaults (provider, endpoint, attempts).</summary>
    public ServiceFactory<AiTelemetry> Worker(IReadOnlyDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        var all = new Dictionary<string, string?>(_settings);
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }
        var factory = new ServiceFactory<AiTelemetry>(all) { ConfigureTestServices = services };
        _ = factory.CreateClient(); // starts the host and its consumers
        return factory;
    }

    public async ValueTask DisposeAsync()
    {
        var commands = _fixture.App.Services.GetRequiredService<ResourceCommandService>();
        await commands.ExecuteCommandAsync(ResourceNames.AiWorker, "resource-start");
        await _fixture.App.ResourceNotifications.WaitForResourceHealthyAsync(ResourceNames.AiWorker).WaitAsync(TimeSpan.FromMinutes(2));
    }
}
