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
        var provider = config["Provider"] is { Length: > 0 } p ? p : "builtin";
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

    /// <summary>
    /// How often every service exports its metrics over OTLP to the dashboard (<c>ChatAspire:MetricExportInterval</c>,
    /// default 5 s; Aspire's own default is 1 s). Each export collects every instrument of the process and the dashboard
    /// stores every point in SQLite: on two cores, once a second from six processes was a measurable share of the machine
    /// (docs/monitoring.md). Prometheus scrapes on its own schedule and is not affected.
    /// </summary>
    public static IDistributedApplicationBuilder WithMetricExportInterval(this IDistributedApplicationBuilder builder)
    {
        var interval = builder.Configuration.GetValue("ChatAspire:MetricExportInterval", TimeSpan.FromSeconds(5));
        foreach (var project in builder.Resources.OfType<ProjectResource>())
        {
            project.Annotations.Add(new EnvironmentCallbackAnnotation(context =>
                context.EnvironmentVariables["OTEL_METRIC_EXPORT_INTERVAL"] = ((int)interval.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }
        return builder;
    }
}
