namespace Chat.Api.Digest;

internal static class DigestRegistration
{
    /// <summary>"Catch me up": a digest of a channel's unread messages.</summary>
    public static IHostApplicationBuilder AddDigest(this IHostApplicationBuilder builder)
    {
        builder.Services.AddScoped<CatchUp>();
        return builder;
    }
}
