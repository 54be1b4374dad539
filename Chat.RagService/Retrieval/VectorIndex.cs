using System.Numerics.Tensors;

namespace Chat.RagService.Retrieval;

/// <summary>
/// Exact nearest-neighbour search over unit vectors with SIMD dot products (System.Numerics.Tensors).
/// Vectors are kept per document in contiguous blocks, so replacing or removing a document is cheap and a search
/// restricted to the documents a caller may read touches only those. Postgres stays the source of truth.
/// Reads are lock-free (immutable snapshot); writes are serialised. A search over many chunks is split across the cores
/// (the scan is bound by memory bandwidth: 100k chunks are 150 MB of vectors).
/// </summary>
public sealed class VectorIndex(int dimensions)
{
    /// <summary>Below this many chunks one core scans faster than several (measured: starting the tasks costs more).</summary>
    public const int ParallelScanChunks = 20_000;

    private sealed record Block(Guid[] ChunkIds, float[] Vectors);

    private sealed record Entry(Guid DocumentId, Block Block);

    private sealed record Snapshot(Dictionary<Guid, Block> ByDocument, Entry[] All, int Chunks)
    {
        public static Snapshot Of(Dictionary<Guid, Block> blocks) =>
            new(blocks, [.. blocks.Select(b => new Entry(b.Key, b.Value))], blocks.Values.Sum(b => b.ChunkIds.Length));
    }

    private readonly Lock _write = new();
    private volatile Snapshot _state = Snapshot.Of([]);

    public int Dimensions => dimensions;
    public int Count => _state.Chunks;
    public int DocumentCount => _state.All.Length;

    /// <summary>Appends one chunk to its document's block.</summary>
    public void Add(Guid chunkId, Guid documentId, ReadOnlySpan<float> vector)
    {
        CheckDimensions(vector.Length);
        lock (_write)
        {
            var old = _state.ByDocument.GetValueOrDefault(documentId) ?? new Block([], []);
            var vectors = new float[old.Vectors.Length + dimensions];
            old.Vectors.CopyTo(vectors, 0);
            vector.CopyTo(vectors.AsSpan(old.Vectors.Length));
            var next = new Dictionary<Guid, Block>(_state.ByDocument) { [documentId] = new Block([.. old.ChunkIds, chunkId], vectors) };
            _state = Snapshot.Of(next);
        }
    }

    /// <summary>Replaces the vectors of the documents in <paramref name="set"/> and drops <paramref name="removed"/>, with one copy of the index.</summary>
    public void Apply(IEnumerable<(Guid DocumentId, IReadOnlyList<Guid> ChunkIds, IReadOnlyList<float[]> Vectors)> set, IEnumerable<Guid> removed)
    {
        var blocks = set.Select(d => (d.DocumentId, Block: ToBlock(d.ChunkIds, d.Vectors))).ToList();
        lock (_write)
        {
            var next = new Dictionary<Guid, Block>(_state.ByDocument);
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
            _state = Snapshot.Of(next);
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
        var state = _state;
        Entry[] candidates;
        var filter = allowedDocuments;
        var chunks = state.Chunks;
        if (allowedDocuments is not null && allowedDocuments.Count < state.All.Length)
        {
            // A narrow caller: look their documents up instead of passing everyone's.
            candidates = [.. allowedDocuments.Select(id => state.ByDocument.TryGetValue(id, out var block) ? new Entry(id, block) : null).OfType<Entry>()];
            chunks = candidates.Sum(e => e.Block.ChunkIds.Length);
            filter = null;
        }
        else
        {
            candidates = state.All;
        }
        var parts = chunks >= ParallelScanChunks ? Math.Min(Environment.ProcessorCount, 8) : 1;
        var queues = new PriorityQueue<(Guid Chunk, Guid Document), float>[parts];
        if (parts == 1)
        {
            queues[0] = ScanRange(query, k, candidates, 0, candidates.Length, filter);
        }
        else
        {
            var q = query.ToArray();
            Parallel.For(0, parts, p => queues[p] = ScanRange(q, k, candidates, candidates.Length * p / parts, candidates.Length * (p + 1) / parts, filter));
        }
        var best = queues[0];
        foreach (var other in queues.Skip(1))
        {
            while (other.TryDequeue(out var hit, out var score))
            {
                Offer(best, k, hit, score);
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

    private PriorityQueue<(Guid Chunk, Guid Document), float> ScanRange(ReadOnlySpan<float> query, int k, Entry[] entries, int from, int to, IReadOnlySet<Guid>? filter)
    {
        var best = new PriorityQueue<(Guid Chunk, Guid Document), float>(k + 1);
        for (var i = from; i < to; i++)
        {
            var entry = entries[i];
            if (filter is null || filter.Contains(entry.DocumentId))
            {
                Scan(query, k, entry.DocumentId, entry.Block, best);
            }
        }
        return best;
    }

    private static void Offer(PriorityQueue<(Guid Chunk, Guid Document), float> best, int k, (Guid Chunk, Guid Document) hit, float score)
    {
        if (best.Count < k)
        {
            best.Enqueue(hit, score);
        }
        else if (best.TryPeek(out _, out var worst) && score > worst)
        {
            best.DequeueEnqueue(hit, score);
        }
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
