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

    private static float[] Unit(float x, float y, float z)
    {
        var n = MathF.Sqrt(x * x + y * y + z * z);
        return [x / n, y / n, z / n];
    }
}
