using System.Numerics.Tensors;

namespace Chat.RagService.Retrieval;

/// <summary>
/// Exact nearest-neighbour search over unit vectors with SIMD dot products (System.Numerics.Tensors).
/// Vectors are kept per document in contiguous blocks, so replacing or removing a document is cheap and a search
/// restricted to the documents a caller may read touches only those. Postgres stays the source of truth.
/// Reads are lock-free (immutable snapshot); writes are serialised.
/// </summary>
public sealed class VectorIndex(int dimensions)
{
    private sealed record Block(Guid[] ChunkIds, float[] Vectors);

    private readonly Lock _write = new();
    private volatile Dictionary<Guid, Block> _blocks = [];

    public int Dimensions => dimensions;
    public int Count => _blocks.Values.Sum(b => b.ChunkIds.Length);
    public int DocumentCount => _blocks.Count;

    /// <summary>Appends one chunk to its document's block.</summary>
    public void Add(Guid chunkId, Guid documentId, ReadOnlySpan<float> vector)
    {
        CheckDimensions(vector.Length);
        lock (_write)
        {
            var old = _blocks.GetValueOrDefault(documentId) ?? new Block([], []);
            var vectors = new float[old.Vectors.Length + dimensions];
            old.Vectors.CopyTo(vectors, 0);
            vector.CopyTo(vectors.AsSpan(old.Vectors.Length));
            var next = new Dictionary<Guid, Block>(_blocks) { [documentId] = new Block([.. old.ChunkIds, chunkId], vectors) };
            _blocks = next;
        }
    }

    /// <summary>Replaces the vectors of the documents in <paramref name="set"/> and drops <paramref name="removed"/>, with one copy of the index.</summary>
    public void Apply(IEnumerable<(Guid DocumentId, IReadOnlyList<Guid> ChunkIds, IReadOnlyList<float[]> Vectors)> set, IEnumerable<Guid> removed)
    {
        var blocks = set.Select(d => (d.DocumentId, Block: ToBlock(d.ChunkIds, d.Vectors))).ToList();
        lock (_write)
        {
            var next = new Dictionary<Guid, Block>(_blocks);
            foreach (var id in removed)
            {
                next.Remove(id);
            }
            foreach (var (id, block) in blocks)
            {
                if (block.ChunkIds.Length == 0)
                {
                    next.Remove(id);
                }
                else
                {
                    next[id] = block;
                }
            }
            _blocks = next;
        }
    }

    private Block ToBlock(IReadOnlyList<Guid> chunkIds, IReadOnlyList<float[]> vectors)
    {
        var block = new Block([.. chunkIds], new float[chunkIds.Count * dimensions]);
        for (var i = 0; i < chunkIds.Count; i++)
        {
            CheckDimensions(vectors[i].Length);
            vectors[i].CopyTo(block.Vectors, i * dimensions);
        }
        return block;
    }

    /// <summary>The <paramref name="k"/> most similar chunks (cosine = dot for unit vectors), optionally only of allowed documents.</summary>
    public IReadOnlyList<(Guid ChunkId, Guid DocumentId, float Score)> Search(ReadOnlySpan<float> query, int k, IReadOnlySet<Guid>? allowedDocuments = null)
    {
        CheckDimensions(query.Length);
        var blocks = _blocks;
        var best = new PriorityQueue<(Guid Chunk, Guid Document), float>(k + 1);
        if (allowedDocuments is not null && allowedDocuments.Count < blocks.Count)
        {
            foreach (var documentId in allowedDocuments)
            {
                if (blocks.TryGetValue(documentId, out var block))
                {
                    Scan(query, k, documentId, block, best);
                }
            }
        }
        else
        {
            foreach (var (documentId, block) in blocks)
            {
                if (allowedDocuments is null || allowedDocuments.Contains(documentId))
                {
                    Scan(query, k, documentId, block, best);
                }
            }
        }
        var result = new List<(Guid, Guid, float)>(best.Count);
        while (best.TryDequeue(out var hit, out var score))
        {
            result.Add((hit.Chunk, hit.Document, score));
        }
        result.Reverse();
        return result;
    }

    private void Scan(ReadOnlySpan<float> query, int k, Guid documentId, Block block, PriorityQueue<(Guid, Guid), float> best)
    {
        for (var i = 0; i < block.ChunkIds.Length; i++)
        {
            var score = TensorPrimitives.Dot(query, block.Vectors.AsSpan(i * dimensions, dimensions));
            if (best.Count < k)
            {
                best.Enqueue((block.ChunkIds[i], documentId), score);
            }
            else if (best.TryPeek(out _, out var worst) && score > worst)
            {
                best.DequeueEnqueue((block.ChunkIds[i], documentId), score);
            }
        }
    }

    private void CheckDimensions(int length)
    {
        if (length != dimensions)
        {
            throw new ArgumentException($"Expected {dimensions} dimensions, got {length}.");
        }
    }
}
