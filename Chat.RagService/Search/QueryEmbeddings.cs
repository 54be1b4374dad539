using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Chat.RagService.Retrieval;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Chat.RagService.Search;

/// <summary>A query's embedding, cached in Redis for a week under the model and the query text (every search uses it).</summary>
public sealed class QueryEmbeddings(IEmbeddingGenerator<string, Embedding<float>> embedder, IOptions<EmbeddingOptions> embedding,
    IConnectionMultiplexer redis, RagTelemetry telemetry)
{
    private static readonly TimeSpan Ttl = TimeSpan.FromDays(7);

    /// <summary>Starts the cache read (before it is known to be needed: one read more on a hit, one round trip less on a miss).</summary>
    public Task<RedisValue> LookUp(string query) => redis.GetDatabase().StringGetAsync(KeyOf(query));

    /// <summary>The cached embedding from <paramref name="cached"/>, or the model's (then cached, fire and forget).</summary>
    public async Task<float[]> GetAsync(string query, Task<RedisValue> cached, CancellationToken ct)
    {
        if (await cached is { HasValue: true } bytes)
        {
            telemetry.Cache("rag_query_embedding", hit: true);
            return MemoryMarshal.Cast<byte, float>((byte[])bytes!).ToArray();
        }
        telemetry.Cache("rag_query_embedding", hit: false);
        var vector = (await embedder.GenerateAsync([query], cancellationToken: ct))[0].Vector.ToArray();
        await redis.GetDatabase().StringSetAsync(KeyOf(query), MemoryMarshal.AsBytes(vector.AsSpan()).ToArray(), Ttl, flags: CommandFlags.FireAndForget);
        return vector;
    }

    private string KeyOf(string query) =>
        $"rag:query-embedding:{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{embedding.Value.ModelId}\n{query}")))}";
}
