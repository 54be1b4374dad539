using Microsoft.Extensions.Options;

namespace Chat.Api.Retention;

/// <summary>Runs retention every <see cref="RetentionOptions.Interval"/> (the first run after <see cref="RetentionOptions.FirstRunDelay"/>).</summary>
public sealed partial class RetentionJob(IServiceScopeFactory scopes, IOptions<RetentionOptions> options, TimeProvider clock, ILogger<RetentionJob> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(options.Value.FirstRunDelay, clock, stoppingToken);
            using var timer = new PeriodicTimer(options.Value.Interval, clock);
            do
            {
                try
                {
                    await using var scope = scopes.CreateAsyncScope();
                    await scope.ServiceProvider.GetRequiredService<RetentionRunner>().RunAsync(stoppingToken);
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    // The next run takes up what this one left (nothing is half-deleted: see RetentionRunner).
                    LogRunFailed(logger, ex.GetType().Name);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(EventId = 2802, EventName = "retention_failed", Level = LogLevel.Warning, Message = "A retention run failed ({Error}); the next run retries")]
    private static partial void LogRunFailed(ILogger logger, string error);
}
