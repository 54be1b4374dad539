namespace Chat.Api.Retention;

internal static class RetentionRegistration
{
    /// <summary>Message retention: per-channel settings, the global default, and the job that deletes what is older.</summary>
    public static IHostApplicationBuilder AddRetention(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<RetentionOptions>().BindConfiguration(RetentionOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddScoped<RetentionRunner>();
        builder.Services.AddHostedService<RetentionJob>();
        return builder;
    }
}
