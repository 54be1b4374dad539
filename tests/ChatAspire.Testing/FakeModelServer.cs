using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ChatAspire.Testing;

/// <summary>
/// A local HTTP server speaking the real wire formats of OpenAI (<c>/v1/chat/completions</c>, server-sent events) and
/// Ollama (<c>/api/chat</c>, newline-delimited JSON), streaming a scripted reply word by word.
/// </summary>
public sealed class FakeModelServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    public ConcurrentQueue<JsonElement> Requests { get; } = new();
    public string[] Words { get; set; } = "Trains are reimbursed in second class [1] according to the policy.".Split(' ');
    public TimeSpan DelayPerWord { get; set; } = TimeSpan.Zero;
    public TimeSpan DelayBeforeFirstByte { get; set; } = TimeSpan.Zero;
    public int FailWithStatus { get; set; }
    public int Attempts => _attempts;
    public int WordsSent => _wordsSent;
    public bool ClientAborted { get; private set; }

    private int _attempts;
    private int _wordsSent;

    private FakeModelServer(WebApplication app) => _app = app;

    public Uri BaseAddress => new(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    public Uri OpenAiEndpoint => new(BaseAddress, "/v1");

    public static async Task<FakeModelServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new FakeModelServer(app);
        app.MapPost("/v1/chat/completions", server.OpenAiAsync);
        app.MapPost("/api/chat", server.OllamaAsync);
        app.MapPost("/v1/embeddings", server.EmbeddingsAsync);
        await app.StartAsync();
        return server;
    }

    private async Task OpenAiAsync(HttpContext context)
    {
        if (!await BeginAsync(context))
        {
            return;
        }
        context.Response.ContentType = "text/event-stream";
        var model = Requests.Last().GetProperty("model").GetString();
        await StreamAsync(context, (word, first) => Sse(new
        {
            id = "chatcmpl-1", @object = "chat.completion.chunk", created = 1_700_000_000, model,
            choices = new[] { new { index = 0, delta = first ? (object)new { role = "assistant", content = word } : new { content = word }, finish_reason = (string?)null } },
        }));
        await Write(context, Sse(new
        {
            id = "chatcmpl-1", @object = "chat.completion.chunk", created = 1_700_000_000, model,
            choices = new[] { new { index = 0, delta = new { }, finish_reason = "stop" } },
        }));
        await Write(context, Sse(new
        {
            id = "chatcmpl-1", @object = "chat.completion.chunk", created = 1_700_000_000, model, choices = Array.Empty<object>(),
            usage = new { prompt_tokens = 42, completion_tokens = Words.Length, total_tokens = 42 + Words.Length },
        }));
        await Write(context, "data: [DONE]\n\n");
    }

    private async Task OllamaAsync(HttpContext context)
    {
        if (!await BeginAsync(context))
        {
            return;
        }
        context.Response.ContentType = "application/x-ndjson";
        var model = Requests.Last().GetProperty("model").GetString();
        await StreamAsync(context, (word, _) => JsonSerializer.Serialize(new
        {
            model, created_at = "2026-11-26T10:00:00Z", message = new { role = "assistant", content = word }, done = false,
        }) + "\n");
        await Write(context, JsonSerializer.Serialize(new
        {
            model, created_at = "2026-11-26T10:00:01Z", message = new { role = "assistant", content = "" }, done = true, done_reason = "stop",
            total_duration = 1_000_000, prompt_eval_count = 42, eval_count = Words.Length,
        }) + "\n");
    }

    public int EmbeddingDimensions { get; set; } = 384;
    public int EmbeddingRequests => _embeddingRequests;
    private int _embeddingRequests;

    /// <summary>OpenAI embeddings: a deterministic unit vector per input (float arrays, or base64 when asked).</summary>
    private async Task EmbeddingsAsync(HttpContext context)
    {
        Interlocked.Increment(ref _embeddingRequests);
        var request = await JsonSerializer.DeserializeAsync<JsonElement>(context.Request.Body);
        var inputs = request.GetProperty("input").ValueKind == JsonValueKind.Array
            ? request.GetProperty("input").EnumerateArray().Select(e => e.GetString()!).ToList()
            : [request.GetProperty("input").GetString()!];
        var base64 = request.TryGetProperty("encoding_format", out var format) && format.GetString() == "base64";
        var data = inputs.Select((text, i) =>
        {
            var vector = new float[EmbeddingDimensions];
            var random = new Random(text.GetHashCode(StringComparison.Ordinal));
            for (var d = 0; d < vector.Length; d++)
            {
                vector[d] = (float)random.NextDouble() - 0.5f;
            }
            var norm = MathF.Sqrt(vector.Sum(v => v * v));
            vector = [.. vector.Select(v => v / norm)];
            object embedding = base64 ? Convert.ToBase64String(System.Runtime.InteropServices.MemoryMarshal.AsBytes(vector.AsSpan())) : vector;
            return new { @object = "embedding", index = i, embedding };
        }).ToArray();
        await context.Response.WriteAsJsonAsync(new
        {
            @object = "list", data, model = request.GetProperty("model").GetString(),
            usage = new { prompt_tokens = inputs.Count * 10, total_tokens = inputs.Count * 10 },
        });
    }

    private async Task<bool> BeginAsync(HttpContext context)
    {
        Interlocked.Increment(ref _attempts);
        Requests.Enqueue(await JsonSerializer.DeserializeAsync<JsonElement>(context.Request.Body));
        if (DelayBeforeFirstByte > TimeSpan.Zero)
        {
            await Task.Delay(DelayBeforeFirstByte, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
        }
        if (FailWithStatus != 0)
        {
            context.Response.StatusCode = FailWithStatus;
            await context.Response.WriteAsJsonAsync(new { error = new { message = "the model is overloaded", type = "server_error" } });
            return false;
        }
        return true;
    }

    private async Task StreamAsync(HttpContext context, Func<string, bool, string> chunk)
    {
        for (var i = 0; i < Words.Length; i++)
        {
            if (context.RequestAborted.IsCancellationRequested)
            {
                ClientAborted = true;
                return;
            }
            await Write(context, chunk(i == 0 ? Words[i] : " " + Words[i], i == 0));
            Interlocked.Increment(ref _wordsSent);
            if (DelayPerWord > TimeSpan.Zero)
            {
                await Task.Delay(DelayPerWord, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    private static string Sse(object payload) => $"data: {JsonSerializer.Serialize(payload)}\n\n";

    private static async Task Write(HttpContext context, string text)
    {
        try
        {
            await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(text), context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
