using System.Numerics.Tensors;

namespace Chat.RagService.Retrieval;

/// <summary>
/// Exact nearest-neighbour search over unit vectors with SIMD dot products (System.Numerics.Tensors).
/// Vectors live in one contiguous array; the index is rebuilt from Postgres, which stays the source of truth.
/// </summary>
public sealed class VectorIndex(int dimensions)
{
    private float[] _vectors = [];
    private Guid[] _ids = [];
    private Guid[] _documents = [];
    private int _count;

    public int Count => _count;

    public void Add(Guid chunkId, Guid documentId, ReadOnlySpan<float> vector)
    {
        if (vector.Length != dimensions)
        {
            throw new ArgumentException($"Expected {dimensions} dimensions, got {vector.Length}.", nameof(vector));
        }
        if (_count == _ids.Length)
        {
            var capacity = Math.Max(1024, _ids.Length * 2);
            Array.Resize(ref _ids, capacity);
            Array.Resize(ref _documents, capacity);
            Array.Resize(ref _vectors, capacity * dimensions);
        }
        vector.CopyTo(_vectors.AsSpan(_count * dimensions, dimensions));
        _ids[_count] = chunkId;
        _documents[_count] = documentId;
        _count++;
    }

    /// <summary>The <paramref name="k"/> most similar chunks (cosine = dot for unit vectors), optionally only of allowed documents.</summary>
    public IReadOnlyList<(Guid ChunkId, Guid DocumentId, float Score)> Search(ReadOnlySpan<float> query, int k, IReadOnlySet<Guid>? allowedDocuments = null)
    {
        var best = new PriorityQueue<int, float>(k + 1);
        for (var i = 0; i < _count; i++)
        {
            if (allowedDocuments is not null && !allowedDocuments.Contains(_documents[i]))
            {
                continue;
            }
            var score = TensorPrimitives.Dot(query, _vectors.AsSpan(i * dimensions, dimensions));
            if (best.Count < k)
            {
                best.Enqueue(i, score);
            }
            else if (best.TryPeek(out _, out var worst) && score > worst)
            {
                best.DequeueEnqueue(i, score);
            }
        }
        var result = new List<(Guid, Guid, float)>(best.Count);
        while (best.TryDequeue(out var index, out var score))
        {
            result.Add((_ids[index], _documents[index], score));
        }
        result.Reverse();
        return result;
    }
}

/// <summary>Reciprocal rank fusion: each list contributes weight / (k + rank) for every item it ranks.</summary>
public static class RankFusion
{
    public static IReadOnlyList<(T Item, double Score)> Fuse<T>(int k, params (IReadOnlyList<T> Ranking, double Weight)[] lists) where T : notnull
    {
        var scores = new Dictionary<T, double>();
        foreach (var (ranking, weight) in lists)
        {
            for (var rank = 0; rank < ranking.Count; rank++)
            {
                scores[ranking[rank]] = scores.GetValueOrDefault(ranking[rank]) + weight / (k + rank + 1);
            }
        }
        return [.. scores.OrderByDescending(kv => kv.Value).Select(kv => (kv.Key, kv.Value))];
    }
}
