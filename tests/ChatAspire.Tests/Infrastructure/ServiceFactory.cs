using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ChatAspire.Tests.Infrastructure;

/// <summary>
/// Hosts one service in-process against the AppHost's real Postgres and Redis, with settings of the test's choosing
/// and its logs captured.
/// </summary>
public sealed class ServiceFactory<TEntryPoint>(IReadOnlyDictionary<string, string?> settings) : WebApplicationFactory<TEntryPoint>
    where TEntryPoint : class
{
    public LogCapture Logs { get; } = new();

    /// <summary>Extra service registrations applied after the service's own (e.g. an in-memory span exporter).</summary>
    public Action<IServiceCollection>? ConfigureTestServices { get; init; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("Auth:SigningKey", AppHostFixture.SigningKey);
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
        builder.ConfigureServices(services => services.AddSingleton<ILoggerProvider>(Logs));
        if (ConfigureTestServices is not null)
        {
            builder.ConfigureServices(ConfigureTestServices);
        }
    }
}

public static class TestServices
{
    /// <summary>
    /// Removes a service's background work (stream consumers, outbox publishers, migrations, warm-ups), so an in-process
    /// copy answers requests without taking work from the AppHost's own services. Token revocation stays: it is part of
    /// authenticating a request.
    /// </summary>
    public static void WithoutBackgroundWork(IServiceCollection services)
    {
        var background = services.Where(d => d.ServiceType == typeof(Microsoft.Extensions.Hosting.IHostedService)
            && d.ImplementationFactory?.Method.ReturnType != typeof(ChatAspire.ServiceDefaults.Auth.TokenRevocations)).ToList();
        foreach (var d in background)
        {
            services.Remove(d);
        }
    }
}
