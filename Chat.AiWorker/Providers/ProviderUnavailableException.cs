using Microsoft.Extensions.Diagnostics.HealthChecks;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace Chat.AiWorker.Providers;

/// <summary>The model provider could not be reached or kept failing; the job will be retried (or parked).</summary>
public sealed class ProviderUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
