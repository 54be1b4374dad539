using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Security.Claims;
using System.Threading.RateLimiting;
using ChatAspire.ServiceDefaults.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace ChatAspire.ServiceDefaults.Http;

/// <summary>The request limit every service applies per user (section <c>RequestLimits</c>).</summary>
public sealed class RequestLimitsOptions
{
    public const string SectionName = "RequestLimits";

    /// <summary>Requests to <c>/api</c> (and hub calls other than sends) per user per minute on each service, across its replicas.</summary>
    [Range(60, 10_000_000)]
    public int PerUserPerMinute { get; set; } = 12_000;

    /// <summary>How many of them may come at once, on top of the steady rate.</summary>
    [Range(1, 10_000_000)]
    public int PerUserBurst { get; set; } = 3_000;

    public TokenBucket Bucket => new(PerUserBurst, Math.Max(1, PerUserPerMinute / 60), TimeSpan.FromSeconds(1));
}

/// <summary>
/// The one owner of rate limiting in every service: the ASP.NET Core rate-limiting middleware with a global limit per
/// user on <c>/api</c> (service-to-service calls are not limited), named policies for route groups
/// (<see cref="AddRequestLimitPolicy{TOptions}"/>), and one refusal: 429 ProblemDetails titled <c>RateLimited</c> with
/// <c>Retry-After</c>. Every bucket is a <see cref="SharedRateLimits"/> bucket in Redis, so a limit holds across replicas.
/// </summary>
public static partial class RequestLimits
{
    public const string Title = "RateLimited";

    public static IHostApplicationBuilder AddRequestLimits(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<RequestLimitsOptions>().BindConfiguration(RequestLimitsOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<UserRequestLimiter>();
        builder.Services.AddRateLimiter(_ => { });
        builder.Services.AddOptions<RateLimiterOptions>().Configure<UserRequestLimiter>((limiter, users) =>
        {
            limiter.GlobalLimiter = users.Requests;
            limiter.OnRejected = (context, _) => RejectAsync(context.HttpContext, context.Lease);
        });
        return builder;
    }

    /// <summary>Rate limiting in the pipeline: after authentication and authorisation, so the limit knows the user.</summary>
    public static IApplicationBuilder UseRequestLimits(this IApplicationBuilder app) => app.UseRateLimiter();

    /// <summary>
    /// A named policy for <c>RequireRateLimiting(name)</c>: a shared bucket from <typeparamref name="TOptions"/> per key
    /// (null: not limited). The key is prefixed with the policy's name.
    /// </summary>
    public static IHostApplicationBuilder AddRequestLimitPolicy<TOptions>(this IHostApplicationBuilder builder, string name,
        Func<TOptions, TokenBucket> bucket, Func<HttpContext, string?> key) where TOptions : class
    {
        builder.Services.AddOptions<RateLimiterOptions>().Configure<IOptions<TOptions>, IConnectionMultiplexer, ILoggerFactory>((limiter, options, redis, loggers) =>
        {
            var logger = loggers.CreateLogger(typeof(RequestLimits));
            limiter.AddPolicy(name, context => key(context) is { } k
                ? SharedRateLimits.Partition($"{name}:{k}", bucket(options.Value), redis, logger)
                : RateLimitPartition.GetNoLimiter(string.Empty));
        });
        return builder;
    }

    /// <summary>The client's address, for policies on routes people use before they have a token.</summary>
    public static string ClientAddress(HttpContext context) => context.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    private static async ValueTask RejectAsync(HttpContext http, RateLimitLease lease)
    {
        var retryAfter = SharedRateLimits.RetryAfter(lease);
        http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        http.Response.Headers.RetryAfter = Math.Ceiling(retryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        LogLimited(http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(RequestLimits)), http.Request.Method);
        await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails =
            {
                Status = StatusCodes.Status429TooManyRequests,
                Title = Title,
                Detail = $"Too many requests; retry in {Math.Ceiling(retryAfter.TotalSeconds)} s.",
            },
        });
    }

    [LoggerMessage(EventId = 1103, EventName = "rate_limited", Level = LogLevel.Information, Message = "rate_limited {Method}: the caller's bucket is empty")]
    private static partial void LogLimited(ILogger logger, string method);
}

/// <summary>Each user's request bucket on this service (<see cref="RequestLimitsOptions"/>), for REST and for hub calls.</summary>
public sealed class UserRequestLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<Guid> _users;

    public UserRequestLimiter(IOptions<RequestLimitsOptions> options, IConnectionMultiplexer redis, IHostEnvironment environment, ILogger<UserRequestLimiter> logger)
    {
        var bucket = options.Value.Bucket;
        // Guid.Empty stands for "not a person" (a service token, or no token): not limited here.
        _users = PartitionedRateLimiter.Create<Guid, Guid>(userId => userId == Guid.Empty
            ? RateLimitPartition.GetNoLimiter(userId)
            : RateLimitPartition.Get(userId, id => SharedRateLimits.Create($"requests:{environment.ApplicationName}:{id:N}", bucket, redis, logger)));
        Requests = _users.WithTranslatedKey<HttpContext>(
            context => context.Request.Path.StartsWithSegments("/api") ? UserOf(context.User) : Guid.Empty, leaveOpen: true);
    }

    /// <summary>The limiter for the middleware: the user's bucket for <c>/api</c> requests by a person.</summary>
    public PartitionedRateLimiter<HttpContext> Requests { get; }

    /// <summary>Takes one request from the user's bucket; not acquired (with when to retry) when it is empty.</summary>
    public async ValueTask<(bool Acquired, TimeSpan RetryAfter)> TryAcquireAsync(ClaimsPrincipal user, CancellationToken ct)
    {
        using var lease = await _users.AcquireAsync(UserOf(user), 1, ct);
        return (lease.IsAcquired, lease.IsAcquired ? TimeSpan.Zero : SharedRateLimits.RetryAfter(lease));
    }

    private static Guid UserOf(ClaimsPrincipal user) => !user.IsService() && TokenIdentity.Read(user) is { } token ? token.UserId : Guid.Empty;

    public void Dispose()
    {
        Requests.Dispose();
        _users.Dispose();
    }
}
