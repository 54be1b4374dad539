namespace Chat.Api.Audit;

internal static class AuditRegistration
{
    /// <summary>The audit trail: who did what, when, from where, with what outcome.</summary>
    public static IHostApplicationBuilder AddAudit(this IHostApplicationBuilder builder)
    {
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddSingleton<AuditLog>();
        return builder;
    }
}
