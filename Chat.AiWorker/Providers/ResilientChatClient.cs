using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace Chat.AiWorker.Providers;

/// <summary>The model provider could not be reached or kept failing; the job will be retried (or parked).</summary>
public sealed class ProviderUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Timeouts, retries and a circuit breaker around a streaming provider. Retries happen only before the first token
/// (a half-streamed reply is never silently restarted); once streaming, a pause longer than the idle timeout fails the
/// reply. Every outcome is recorded in <see cref="ProviderHealth"/>, which readiness reports.
/// </summary>
public sealed class ResilientChatClient : DelegatingChatClient
{
    private readonly ProviderOptions _options;
    private readonly ProviderHealth _health;
    private readonly ResiliencePipeline _connect;

    public ResilientChatClient(IChatClient inner, ProviderOptions options, ProviderHealth health) : base(inner)
    {
        _options = options;
        _health = health;
        var retryable = new PredicateBuilder().Handle<Exception>(ex => ex is not BrokenCircuitException and not OperationCanceledException || ex is TimeoutRejectedException);
        _connect = new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = Math.Max(1, options.Retries),
                Delay = TimeSpan.FromMilliseconds(200),
                BackoffType = DelayBackoffType.Exponential,
                ShouldHandle = args => ValueTask.FromResult(options.Retries > 0 && args.Outcome.Exception is { } ex
                    && ex is not BrokenCircuitException && (ex is not OperationCanceledException || ex is TimeoutRejectedException)),
            })
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                FailureRatio = 1.0,
                MinimumThroughput = Math.Max(2, options.BreakAfter),
                SamplingDuration = TimeSpan.FromMinutes(2),
                BreakDuration = options.BreakFor,
                StateProvider = health.Circuit,
                ShouldHandle = retryable,
            })
            .AddTimeout(options.FirstTokenTimeout)
            .Build();
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var list = messages.ToList();
        var (stream, first) = await ConnectAsync(list, options, cancellationToken);
        await using var _ = stream;
        if (first is not null)
        {
            yield return first;
        }
        while (true)
        {
            var next = await NextAsync(stream, cancellationToken);
            if (next is null)
            {
                break;
            }
            yield return next;
        }
    }

    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in GetStreamingResponseAsync(messages, options, cancellationToken))
        {
            updates.Add(update);
        }
        return updates.ToChatResponse();
    }

    /// <summary>Starts the stream and waits for its first update, with timeout, retries and the breaker.</summary>
    private async Task<(IAsyncEnumerator<ChatResponseUpdate> Stream, ChatResponseUpdate? First)> ConnectAsync(List<ChatMessage> messages, ChatOptions? options,
        CancellationToken cancellationToken)
    {
        try
        {
            var result = await _connect.ExecuteAsync(async ct =>
            {
                var stream = base.GetStreamingResponseAsync(messages, options, ct).GetAsyncEnumerator(ct);
                try
                {
                    var has = await stream.MoveNextAsync();
                    return (stream, has ? stream.Current : null);
                }
                catch
                {
                    await stream.DisposeAsync();
                    throw;
                }
            }, cancellationToken);
            _health.Succeeded();
            return result;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            _health.Failed(ex);
            throw new ProviderUnavailableException(ex is BrokenCircuitException
                ? "The model provider has been failing; calls are paused for a moment."
                : $"The model provider did not answer ({ex.GetType().Name}).", ex);
        }
    }

    private async Task<ChatResponseUpdate?> NextAsync(IAsyncEnumerator<ChatResponseUpdate> stream, CancellationToken cancellationToken)
    {
        using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        idle.CancelAfter(_options.IdleTimeout);
        try
        {
            return await stream.MoveNextAsync().AsTask().WaitAsync(idle.Token) ? stream.Current : null;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            _health.Failed(ex);
            throw new ProviderUnavailableException(idle.IsCancellationRequested
                ? $"The model provider stopped streaming for {_options.IdleTimeout.TotalSeconds:F0} s."
                : $"The model provider failed mid-reply ({ex.GetType().Name}).", ex);
        }
    }
}

/// <summary>What the worker knows about its provider; readiness check <c>ai_provider</c> reports it.</summary>
public sealed class ProviderHealth : IHealthCheck
{
    public const string CheckName = "ai_provider";

    private readonly Lock _gate = new();
    private DateTimeOffset _lastSuccess = DateTimeOffset.MinValue;
    private DateTimeOffset _lastFailure = DateTimeOffset.MinValue;
    private string? _lastError;

    public CircuitBreakerStateProvider Circuit { get; } = new();

    public void Succeeded()
    {
        lock (_gate)
        {
            _lastSuccess = DateTimeOffset.UtcNow;
        }
    }

    public void Failed(Exception ex)
    {
        lock (_gate)
        {
            _lastFailure = DateTimeOffset.UtcNow;
            _lastError = ex.GetType().Name;
        }
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (Circuit.CircuitState is CircuitState.Open or CircuitState.Isolated)
            {
                return Task.FromResult(HealthCheckResult.Degraded($"circuit open after repeated failures ({_lastError})"));
            }
            if (_lastFailure > _lastSuccess)
            {
                return Task.FromResult(HealthCheckResult.Degraded($"last request failed ({_lastError})"));
            }
            return Task.FromResult(HealthCheckResult.Healthy());
        }
    }
}
