using StackExchange.Redis;

namespace Chat.Api.Presence;

/// <summary>Runs the presence heartbeat and publishes <c>active_users</c>.</summary>
internal sealed class PresenceHeartbeat(PresenceTracker presence, ChatTelemetry telemetry, ILogger<PresenceHeartbeat> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(PresenceTracker.HeartbeatInterval);
        do
        {
            try
            {
                await presence.HeartbeatAsync();
                telemetry.ActiveUsers = (await presence.OnlineUsersAsync()).Count;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // RedisException, RedisTimeoutException (a TimeoutException), …: presence retries at the next beat.
                PresenceLog.HeartbeatFailed(logger, ex.GetType().Name);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await presence.ShutdownAsync();
        }
        catch (Exception ex) when (ex is RedisException or ObjectDisposedException)
        {
            // Redis gone too (or its connection already closed by the host): the entries expire by themselves.
        }
    }
}
