using Microsoft.Extensions.Configuration;

namespace ChatAspire.AppHost;

internal static class ResourceBuilderExtensions
{
    /// <summary>References a connection-string resource and waits for it: the two always go together here.</summary>
    public static IResourceBuilder<ProjectResource> WithDependency(
        this IResourceBuilder<ProjectResource> project, IResourceBuilder<IResourceWithConnectionString> dependency) =>
        project.WithReference(dependency).WaitFor(dependency);

    /// <summary>Hands the shared JWT signing key to a service (configuration key <c>Auth:SigningKey</c>).</summary>
    public static IResourceBuilder<ProjectResource> WithSigningKey(this IResourceBuilder<ProjectResource> project, IResourceBuilder<ParameterResource> key) =>
        project.WithEnvironment("Auth__SigningKey", key);

    /// <summary>
    /// The assistant's model provider from <c>ChatAspire:Ai</c> (<c>Provider</c> builtin|ollama|openai, <c>Model</c>,
    /// <c>Endpoint</c>). For <c>openai</c> the API key is the secret parameter <c>ai-api-key</c> (user secrets:
    /// <c>Parameters:ai-api-key</c>), never plain configuration.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithAiProvider(this IResourceBuilder<ProjectResource> worker)
    {
        var config = worker.ApplicationBuilder.Configuration.GetSection("ChatAspire:Ai");
        var provider = AiProvider(worker);
        worker.WithEnvironment("Ai__Provider", provider);
        if (config["Model"] is { Length: > 0 } model)
        {
            worker.WithEnvironment("Ai__Model", model);
        }
        if (config["Endpoint"] is { Length: > 0 } endpoint)
        {
            worker.WithEnvironment("Ai__Endpoint", endpoint);
        }
        if (provider == "openai")
        {
            worker.WithEnvironment("Ai__ApiKey", worker.ApplicationBuilder.AddParameter("ai-api-key", secret: true));
        }
        return worker;
    }

    /// <summary>Whether <c>ChatAspire:Ai:Provider</c> names a language model (ollama, openai) rather than the built-in extractive assistant.</summary>
    public static bool HasLanguageModel(this IResourceBuilder<ProjectResource> worker) => AiProvider(worker) != "builtin";

    private static string AiProvider(IResourceBuilder<ProjectResource> worker) =>
        worker.ApplicationBuilder.Configuration["ChatAspire:Ai:Provider"] is { Length: > 0 } p ? p : "builtin";

    /// <summary>
    /// Single sign-on for Chat.Api from <c>ChatAspire:Oidc</c> (every key of docs/integrations.md's <c>Auth:Oidc</c> table,
    /// e.g. <c>--ChatAspire:Oidc:Authority=https://…</c>) and <c>ChatAspire:LocalAccounts</c>. The client secret is the
    /// secret parameter <c>oidc-client-secret</c> (user secrets: <c>Parameters:oidc-client-secret</c>), never plain
    /// configuration, and is asked for only where the provider's client is confidential (<c>ChatAspire:Oidc:PublicClient</c> not true).
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithSingleSignOn(this IResourceBuilder<ProjectResource> api)
    {
        var configuration = api.ApplicationBuilder.Configuration;
        if (configuration["ChatAspire:LocalAccounts"] is { Length: > 0 } local)
        {
            api.WithEnvironment("Auth__LocalAccounts", local);
        }
        var oidc = configuration.GetSection("ChatAspire:Oidc");
        if (oidc["Authority"] is not { Length: > 0 })
        {
            return api;
        }
        foreach (var (key, value) in oidc.AsEnumerable(makePathsRelative: true))
        {
            if (value is not null && key is not ("ClientSecret" or "PublicClient"))
            {
                api.WithEnvironment("Auth__Oidc__" + key.Replace(":", "__", StringComparison.Ordinal), value);
            }
        }
        if (!oidc.GetValue<bool>("PublicClient"))
        {
            api.WithEnvironment("Auth__Oidc__ClientSecret", api.ApplicationBuilder.AddParameter("oidc-client-secret", secret: true));
        }
        return api;
    }

    /// <summary>
    /// How often every service sends its telemetry to the dashboard over OTLP: metrics every
    /// <c>ChatAspire:MetricExportInterval</c> (default 15 s, the Prometheus scrape's default; Aspire's own is 1 s), spans
    /// and log records in batches every <c>ChatAspire:TelemetryBatchDelay</c> (default 5 s, OpenTelemetry's default for
    /// spans; Aspire's own is 1 s). Each metric export collects every instrument of the process, observable ones included,
    /// and each batch is a gRPC call. Profiled under the chat benchmark (bench/results/chat-profile.md), Aspire's cadence
    /// took about a seventh of Chat.Api's CPU even at 5 s for metrics. Prometheus scrapes on its own schedule and is not affected.
    /// </summary>
    public static IDistributedApplicationBuilder WithTelemetryExportCadence(this IDistributedApplicationBuilder builder)
    {
        var metrics = builder.Configuration.GetValue("ChatAspire:MetricExportInterval", TimeSpan.FromSeconds(15));
        var batches = builder.Configuration.GetValue("ChatAspire:TelemetryBatchDelay", TimeSpan.FromSeconds(5));
        string Milliseconds(TimeSpan t) => ((int)t.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var project in builder.Resources.OfType<ProjectResource>())
        {
            project.Annotations.Add(new EnvironmentCallbackAnnotation(context =>
            {
                context.EnvironmentVariables["OTEL_METRIC_EXPORT_INTERVAL"] = Milliseconds(metrics);
                context.EnvironmentVariables["OTEL_BSP_SCHEDULE_DELAY"] = Milliseconds(batches);
                context.EnvironmentVariables["OTEL_BLRP_SCHEDULE_DELAY"] = Milliseconds(batches);
            }));
        }
        return builder;
    }
}
