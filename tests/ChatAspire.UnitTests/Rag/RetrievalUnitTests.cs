using Chat.RagService.Retrieval;

namespace ChatAspire.Tests.Rag;

public sealed class RetrievalUnitTests
{
    [Fact]
    public void Chunks_stay_within_the_token_budget_overlap_and_never_split_a_word()
    {
        var words = Enumerable.Range(0, 900).Select(i => i % 7 == 0 ? "immunohistochemistry" : $"w{i}").ToArray();
        var chunker = new TokenChunker(chunkTokens: 100, overlapTokens: 20);

        var chunks = chunker.Chunk([new Section(string.Join(' ', words), Page: 3, Heading: "Results")]);

        Assert.True(chunks.Count > 5);
        Assert.All(chunks, c => Assert.InRange(c.Tokens, 1, 100));
        Assert.All(chunks, c => Assert.Equal(c.Tokens, c.Text.Split(' ').Sum(TokenChunker.CountTokens)));
        Assert.All(chunks, c => Assert.All(c.Text.Split(' '), w => Assert.Contains(w, words)));
        Assert.All(chunks, c => Assert.Equal((3, "Results"), (c.Page!.Value, c.Heading!)));
        for (var i = 1; i < chunks.Count; i++)
        {
            var previous = chunks[i - 1].Text.Split(' ');
            var current = chunks[i].Text.Split(' ');
            // The chunk starts by repeating the previous chunk's tail (the overlap), 1 to 20 tokens of it, then moves on.
            var overlap = Enumerable.Range(1, Math.Min(previous.Length, current.Length) - 1)
                .Where(k => previous[^k..].SequenceEqual(current[..k])).DefaultIfEmpty(0).Max();
            Assert.True(overlap > 0, $"chunk {i} does not start with the tail of chunk {i - 1}");
            Assert.InRange(current[..overlap].Sum(TokenChunker.CountTokens), 1, 20);
            Assert.True(current.Length > overlap, $"chunk {i} adds nothing new");
        }
        Assert.Equal(words[^1], chunks[^1].Text.Split(' ')[^1]);
    }

    [Fact]
    public void Chunks_never_cross_sections()
    {
        var chunks = new TokenChunker().Chunk([new Section("page one text", Page: 1), new Section("page two text", Page: 2)]);

        Assert.Equal(["page one text", "page two text"], chunks.Select(c => c.Text));
        Assert.Equal([1, 2], chunks.Select(c => c.Page!.Value));
    }

    [Fact]
    public void Exact_search_returns_the_nearest_vectors_in_order_and_respects_allowed_documents()
    {
        var index = new VectorIndex(3);
        var (a, b, c) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        var (docA, docB) = (Guid.NewGuid(), Guid.NewGuid());
        index.Add(a, docA, Unit(1, 0, 0));
        index.Add(b, docA, Unit(1, 1, 0));
        index.Add(c, docB, Unit(0, 0, 1));

        var top = index.Search(Unit(1, 0.1f, 0), 2);
        var onlyB = index.Search(Unit(1, 0.1f, 0), 2, new HashSet<Guid> { docB });

        Assert.Equal([a, b], top.Select(t => t.ChunkId));
        Assert.True(top[0].Score > top[1].Score);
        Assert.Equal([c], onlyB.Select(t => t.ChunkId));
    }

    [Fact]
    public void Reciprocal_rank_fusion_rewards_agreement_between_rankings()
    {
        var fused = RankFusion.Fuse(60, ((string[])["x", "y", "z"], 1.0), ((string[])["y", "w", "x"], 1.0));

        Assert.Equal("y", fused[0].Item); // 1/62 + 1/61 beats x's 1/61 + 1/63
        Assert.Equal("x", fused[1].Item);
        Assert.Equal(4, fused.Count);
    }

    [Fact]
    public async Task The_bundled_model_embeds_to_384_unit_dimensions_and_similar_texts_score_higher()
    {
        using var embedder = new MiniLmEmbeddingGenerator();

        var vectors = await embedder.GenerateAsync(new[]
        {
            "Aspirin reduces the risk of heart attack.", "Acetylsalicylic acid lowers myocardial infarction risk.", "The train leaves at noon.",
        });

        Assert.All(vectors, v => Assert.Equal(384, v.Vector.Length));
        Assert.All(vectors, v => Assert.InRange(System.Numerics.Tensors.TensorPrimitives.Norm(v.Vector.Span), 0.99f, 1.01f));
        var related = System.Numerics.Tensors.TensorPrimitives.Dot(vectors[0].Vector.Span, vectors[1].Vector.Span);
        var unrelated = System.Numerics.Tensors.TensorPrimitives.Dot(vectors[0].Vector.Span, vectors[2].Vector.Span);
        Assert.True(related > unrelated + 0.2f, $"related {related}, unrelated {unrelated}");
    }

    [Fact]
    public async Task Many_texts_embed_in_order_on_the_parallel_sessions_exactly_as_one_at_a_time()
    {
        using var embedder = new MiniLmEmbeddingGenerator();
        var texts = Enumerable.Range(0, 23).Select(i => $"Sentence number {i} is about {(i % 2 == 0 ? "cells and proteins" : "trains and stations")}.").ToArray();

        var together = await embedder.GenerateAsync(texts); // more than a short request: batches on every worker session
        var alone = await Task.WhenAll(texts.Select(async t => (await embedder.GenerateAsync([t]))[0]));

        Assert.Equal(texts.Length, together.Count);
        for (var i = 0; i < texts.Length; i++)
        {
            var similarity = System.Numerics.Tensors.TensorPrimitives.Dot(together[i].Vector.Span, alone[i].Vector.Span);
            Assert.True(similarity > 0.999f, $"text {i}: {similarity}");
        }
    }

    [Fact]
    public void A_scan_split_across_cores_finds_exactly_the_nearest_chunks()
    {
        const int Dimensions = 16;
        var random = new Random(11);
        float[] Random()
        {
            var v = Enumerable.Range(0, Dimensions).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            var norm = MathF.Sqrt(v.Sum(x => x * x));
            return [.. v.Select(x => x / norm)];
        }
        var index = new VectorIndex(Dimensions);
        var split = index.Coded ? VectorIndex.ParallelCodeScanChunks : VectorIndex.ParallelScanChunks;
        var documents = Enumerable.Range(0, split / 10 + 100).Select(_ => (Id: Guid.NewGuid(), Chunks: Enumerable.Range(0, 10).Select(_ => (Id: Guid.NewGuid(), Vector: Random())).ToList())).ToList();
        index.Apply(documents.Select(d => (d.Id, (IReadOnlyList<Guid>)[.. d.Chunks.Select(c => c.Id)], (IReadOnlyList<float[]>)[.. d.Chunks.Select(c => c.Vector)])), []);
        Assert.True(index.Count >= split); // the split path
        var query = Random();
        var allowed = documents.Where((_, i) => i % 3 != 0).Select(d => d.Id).ToHashSet();

        var everything = index.Search(query, 25);
        var mine = index.Search(query, 25, allowed);
        var few = index.Search(query, 25, documents.Take(50).Select(d => d.Id).ToHashSet()); // narrow: looked up, not filtered

        IEnumerable<Guid> Expected(IEnumerable<(Guid Id, List<(Guid Id, float[] Vector)> Chunks)> docs) => docs.SelectMany(d => d.Chunks)
            .OrderByDescending(c => System.Numerics.Tensors.TensorPrimitives.Dot(query, c.Vector)).Take(25).Select(c => c.Id);
        Assert.Equal(Expected(documents), everything.Select(h => h.ChunkId));
        Assert.Equal(Expected(documents.Where(d => allowed.Contains(d.Id))), mine.Select(h => h.ChunkId));
        Assert.Equal(Expected(documents.Take(50)), few.Select(h => h.ChunkId));
        Assert.True(everything.Zip(everything.Skip(1)).All(p => p.First.Score >= p.Second.Score));
    }

    [Fact]
    public void The_scan_of_8_bit_codes_gives_exactly_the_float_answer_among_near_ties()
    {
        const int Dimensions = 384;
        var random = new Random(5);
        float[] Around(float[]? center, float spread)
        {
            var v = Enumerable.Range(0, Dimensions).Select(i => (center?[i] ?? 0) + spread * (float)(random.NextDouble() * 2 - 1)).ToArray();
            var norm = MathF.Sqrt(v.Sum(x => x * x));
            return [.. v.Select(x => x / norm)];
        }
        var topic = Around(null, 1);
        // Half the chunks are near copies of one topic: their scores differ by less than the codes' rounding, so only the
        // float vectors can order them. The rest are unrelated.
        var documents = Enumerable.Range(0, 2_000).Select(d => (Id: Guid.NewGuid(), Chunks: Enumerable.Range(0, 10)
            .Select(_ => (Id: Guid.NewGuid(), Vector: d % 2 == 0 ? Around(topic, 0.02f) : Around(null, 1))).ToList())).ToList();
        var index = new VectorIndex(Dimensions);
        index.Apply(documents.Select(d => (d.Id, (IReadOnlyList<Guid>)[.. d.Chunks.Select(c => c.Id)], (IReadOnlyList<float[]>)[.. d.Chunks.Select(c => c.Vector)])), []);
        Assert.Equal(System.Runtime.Intrinsics.X86.Avx2.IsSupported, index.Coded);
        var allowed = documents.Where((_, i) => i % 5 != 1).Select(d => d.Id).ToHashSet();

        foreach (var query in new[] { Around(topic, 0.01f), Around(topic, 0.05f), Around(null, 1) })
        {
            var exact = documents.SelectMany(d => d.Chunks).ToDictionary(c => c.Id, c => System.Numerics.Tensors.TensorPrimitives.Dot(query, c.Vector));
            // Compared by score: chunks of equal float score may come in either order, as from the float scan.
            IEnumerable<float> Expected(IEnumerable<(Guid Id, List<(Guid Id, float[] Vector)> Chunks)> docs, int k) =>
                docs.SelectMany(d => d.Chunks).Select(c => exact[c.Id]).OrderDescending().Take(k);
            foreach (var k in new[] { 1, 10, 300 })
            {
                var all = index.Search(query, k);
                var mine = index.Search(query, k, allowed);
                Assert.Equal(Expected(documents, k), all.Select(h => h.Score));
                Assert.Equal(Expected(documents.Where(d => allowed.Contains(d.Id)), k), mine.Select(h => h.Score));
                Assert.All(all.Concat(mine), h => Assert.Equal(exact[h.ChunkId], h.Score)); // each hit with its own exact score
                Assert.All(mine, h => Assert.Contains(h.DocumentId, allowed));
            }
        }
    }

    [Fact]
    public void Block_updates_replace_remove_and_append_chunks_and_search_as_if_built_afresh_and_a_shortlist_rescores_exactly()
    {
        const int Dimensions = 384;
        var random = new Random(17);
        float[] Random()
        {
            var v = Enumerable.Range(0, Dimensions).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            var norm = MathF.Sqrt(v.Sum(x => x * x));
            return [.. v.Select(x => x / norm)];
        }
        // Three channel blocks of messages, changed in two updates: appends, a replaced chunk, removals, an emptied block.
        var blocks = Enumerable.Range(0, 3).Select(_ => Guid.NewGuid()).ToArray();
        var live = new Dictionary<Guid, (Guid Block, float[] Vector)>();
        var index = new VectorIndex(Dimensions);
        List<(Guid, float[])> Add(Guid block, int n)
        {
            var added = Enumerable.Range(0, n).Select(_ => (Guid.NewGuid(), Random())).ToList();
            foreach (var (id, v) in added)
            {
                live[id] = (block, v);
            }
            return added;
        }
        index.Update([(blocks[0], [], Add(blocks[0], 300)), (blocks[1], [], Add(blocks[1], 200)), (blocks[2], [], Add(blocks[2], 5))]);
        var replaced = live.First(l => l.Value.Block == blocks[0]).Key;
        var removed = live.Where(l => l.Value.Block == blocks[1]).Select(l => l.Key).Take(50).ToList();
        var emptied = live.Where(l => l.Value.Block == blocks[2]).Select(l => l.Key).ToList();
        live[replaced] = (blocks[0], Random());
        removed.ForEach(id => live.Remove(id));
        emptied.ForEach(id => live.Remove(id));
        index.Update([(blocks[0], [], [(replaced, live[replaced].Vector), .. Add(blocks[0], 20)]), (blocks[1], removed, []), (blocks[2], emptied, [])]);

        Assert.Equal(live.Count, index.Count);
        Assert.Equal(2, index.DocumentCount);
        foreach (var query in new[] { Random(), live[replaced].Vector })
        {
            var exact = live.OrderByDescending(l => System.Numerics.Tensors.TensorPrimitives.Dot(query, l.Value.Vector)).ToList();
            Assert.Equal(exact.Take(40).Select(l => l.Key), index.Search(query, 40).Select(h => h.ChunkId));
            Assert.Equal(exact.Where(l => l.Value.Block == blocks[1]).Take(10).Select(l => l.Key),
                index.Search(query, 10, new HashSet<Guid> { blocks[1] }).Select(h => h.ChunkId));
        }
        Assert.Equal(replaced, index.Search(live[replaced].Vector, 1)[0].ChunkId);

        // A shortlist keeps the query's nearest chunks; a nearby query is scored exactly among them only.
        var q = Random();
        var first = index.Search(q, 10, null, 100, out var shortlist);
        Assert.Equal(100, shortlist.Count);
        Assert.Equal(index.Search(q, 10).Select(h => h.ChunkId), first.Select(h => h.ChunkId));
        Assert.Equal(first.Select(h => h.ChunkId), index.Rescore(q, 10, shortlist).Select(h => h.ChunkId));
        var near = q.Zip(live[first[5].ChunkId].Vector, (a, b) => a + 0.3f * b).ToArray();
        var kept = index.Search(q, 100).Select(h => h.ChunkId).ToHashSet();
        var expected = live.Where(l => kept.Contains(l.Key)).OrderByDescending(l => System.Numerics.Tensors.TensorPrimitives.Dot(near, l.Value.Vector)).Take(10);
        Assert.Equal(expected.Select(l => l.Key), index.Rescore(near, 10, shortlist).Select(h => h.ChunkId));
    }

    [Fact]
    public void Score_combination_standardises_each_list_and_counts_a_missing_item_as_the_list_lowest()
    {
        double[] a = [10.0, 2.0, 1.0], b = [0.60, 0.58, 0.50];
        static double Z(double score, double[] list)
        {
            var mean = list.Average();
            return (score - mean) / Math.Sqrt(list.Select(s => (s - mean) * (s - mean)).Average());
        }
        var fused = ScoreFusion.Fuse(
            (((string, double)[])[("a", a[0]), ("b", a[1]), ("c", a[2])], 0.5),
            (((string, double)[])[("b", b[0]), ("c", b[1]), ("d", b[2])], 0.5));

        Assert.Equal(["b", "a", "c", "d"], fused.Select(f => f.Item));
        Assert.Equal(0.5 * Z(2, a) + 0.5 * Z(0.60, b), fused[0].Score, 9);
        Assert.Equal(0.5 * Z(10, a) + 0.5 * Z(0.50, b), fused[1].Score, 9); // a is missing from the second list: its lowest
        Assert.Equal(0.5 * Z(1, a) + 0.5 * Z(0.50, b), fused[3].Score, 9); // d is missing from the first list: its lowest
        Assert.Equal(0, ScoreFusion.Standardiser([3.0, 3.0])(3.0));
        Assert.Equal(Z(1, a), ScoreFusion.Standardiser(a)(-5), 9); // below the list counts as its lowest
    }

    [Fact]
    public void Feedback_moves_the_query_toward_the_best_chunk_of_each_top_document_and_keeps_unit_length()
    {
        var index = new VectorIndex(3);
        Guid first = Guid.NewGuid(), second = Guid.NewGuid(), third = Guid.NewGuid();
        index.Add(Guid.NewGuid(), first, Unit(0, 1, 0));
        index.Add(Guid.NewGuid(), first, Unit(1, 1, 0)); // first's chunk most similar to the query
        index.Add(Guid.NewGuid(), second, Unit(1, 0, 1));
        index.Add(Guid.NewGuid(), third, Unit(0, 0, 1)); // third in the ranking: beyond the feedback documents
        var query = Unit(1, 0, 0);

        Assert.Equal(Unit(1, 1, 0), index.BestChunk(first, query));
        Assert.Null(index.BestChunk(Guid.NewGuid(), query));

        var expanded = HybridRanking.Expand(query, [first, second, third], index);
        var beta = HybridRanking.FeedbackWeight;
        var mean = Unit(1, 1, 0).Zip(Unit(1, 0, 1), (x, y) => (x + y) / 2).ToArray();
        var expected = query.Zip(mean, (q, m) => q + beta * m).ToArray();
        var norm = MathF.Sqrt(expected.Sum(x => x * x));
        Assert.Equal(2, HybridRanking.FeedbackDocuments);
        Assert.Equal(expected.Select(x => x / norm), expanded, (x, y) => Math.Abs(x - y) < 1e-6);
        Assert.Equal(query, HybridRanking.Expand(query, [Guid.NewGuid()], index)); // a document without vectors lends nothing
    }

    private static float[] Unit(float x, float y, float z)
    {
        var n = MathF.Sqrt(x * x + y * y + z * z);
        return [x / n, y / n, z / n];
    }
}
