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
}
