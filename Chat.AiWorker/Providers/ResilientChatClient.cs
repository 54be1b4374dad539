using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace Chat.AiWorker.Providers;

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
        var attempt = await ConnectAsync(list, options, cancellationToken);
        await using var _ = attempt;
        if (attempt.First is not null)
        {
            yield return attempt.First;
        }
        while (await NextAsync(attempt, cancellationToken) is { } next)
        {
            yield return next;
        }
    }

    public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        GetStreamingResponseAsync(messages, options, cancellationToken).ToChatResponseAsync(cancellationToken);

    /// <summary>
    /// One streaming call. Its token is ours (linked to the caller's), not the resilience pipeline's, so it stays valid
    /// after the pipeline returns; the idle timeout cancels it, so the provider's read stops instead of being abandoned.
    /// </summary>
    private sealed class Attempt(CancellationTokenSource cts) : IAsyncDisposable
    {
        public CancellationTokenSource Cts { get; } = cts;
        public IAsyncEnumerator<ChatResponseUpdate>? Stream { get; set; }
        public ChatResponseUpdate? First { get; set; }

        public async ValueTask DisposeAsync()
        {
            if (Stream is not null)
            {
                await Stream.DisposeAsync();
            }
            Cts.Dispose();
        }
    }

    /// <summary>Starts the stream and waits for its first update, with timeout, retries and the breaker.</summary>
    private async Task<Attempt> ConnectAsync(List<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken)
    {
        try
        {
            var attempt = await _connect.ExecuteAsync(async pipelineToken =>
            {
                var attempt = new Attempt(CancellationTokenSource.CreateLinkedTokenSource(cancellationToken));
                try
                {
                    // The pipeline's timeout applies to reaching the first update only.
                    await using (pipelineToken.Register(() => attempt.Cts.Cancel()))
                    {
                        attempt.Stream = base.GetStreamingResponseAsync(messages, options, attempt.Cts.Token).GetAsyncEnumerator(attempt.Cts.Token);
                        attempt.First = await attempt.Stream.MoveNextAsync() ? attempt.Stream.Current : null;
                    }
                    pipelineToken.ThrowIfCancellationRequested();
                    return attempt;
                }
                catch
                {
                    await attempt.DisposeAsync();
                    throw;
                }
            }, cancellationToken);
            _health.Succeeded();
            return attempt;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            _health.Failed(ex);
            throw new ProviderUnavailableException(ex is BrokenCircuitException
                ? "The model provider has been failing; calls are paused for a moment."
                : $"The model provider did not answer ({ex.GetType().Name}).", ex);
        }
    }

    private async Task<ChatResponseUpdate?> NextAsync(Attempt attempt, CancellationToken cancellationToken)
    {
        if (attempt.Stream is null)
        {
            return null;
        }
        attempt.Cts.CancelAfter(_options.IdleTimeout);
        try
        {
            var has = await attempt.Stream.MoveNextAsync();
            attempt.Cts.CancelAfter(Timeout.InfiniteTimeSpan);
            return has ? attempt.Stream.Current : null;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            _health.Failed(ex);
            attempt.Stream = null; // a failed stream is not disposed again
            throw new ProviderUnavailableException(attempt.Cts.IsCancellationRequested
                ? $"The model provider stopped streaming for {_options.IdleTimeout.TotalSeconds:F0} s."
                : $"The model provider failed mid-reply ({ex.GetType().Name}).", ex);
        }
    }
}
