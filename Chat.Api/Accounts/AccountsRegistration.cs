using ChatAspire.ServiceDefaults.Http;
using Microsoft.AspNetCore.Identity;

namespace Chat.Api.Accounts;

internal static class AccountsRegistration
{
    /// <summary>Sign-up, sign-in, tokens and their revocation ledger, and the per-address limit on the auth routes.</summary>
    public static IHostApplicationBuilder AddAccounts(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<AccountsOptions>().BindConfiguration(AccountsOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<IPasswordHasher<User>, PasswordHasher<User>>();
        builder.Services.AddSingleton<TokenService>();
        builder.Services.AddSingleton<RevocationLedger>();
        builder.Services.AddSingleton<ChatAspire.ServiceDefaults.Auth.IRevocationSource>(sp => sp.GetRequiredService<RevocationLedger>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<RevocationLedger>());
        builder.Services.AddSingleton<PasswordPolicy>();
        builder.Services.AddSingleton<LoginThrottle>();
        builder.Services.AddSingleton<UserDirectory>();
        // Bot tokens beside JWTs: the default scheme looks at the bearer token and forwards it to the one that reads it.
        builder.Services.AddSingleton<BotTokenStore>();
        builder.Services.AddAuthentication(BotTokenHandler.Selector)
            .AddPolicyScheme(BotTokenHandler.Selector, "Bearer JWT or bot token", o => o.ForwardDefaultSelector = BotTokenHandler.For)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, BotTokenHandler>(BotTokenHandler.SchemeName, null);
        builder.Services.AddHostedService(sp => sp.GetRequiredService<UserDirectory>());
        builder.AddSingleSignOn();
        // Per client address, shared by every replica: slows password guessing across many user names.
        builder.AddRequestLimitPolicy<AccountsOptions>(AccountsApi.AuthRateLimitPolicy,
            accounts => new TokenBucket(accounts.AuthRequestsPerMinute, accounts.AuthRequestsPerMinute, TimeSpan.FromMinutes(1)),
            RequestLimits.ClientAddress);
        return builder;
    }
}
