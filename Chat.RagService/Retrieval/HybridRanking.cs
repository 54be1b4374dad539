using System.Numerics.Tensors;

namespace Chat.RagService.Retrieval;

/// <summary>
/// How a query's documents are ranked, in one place for the search (<see cref="Search.SearchService"/>) and the
/// evaluation (eval/Rag.Eval), which must score exactly what the service does:
/// <list type="number">
/// <item>each retriever ranks documents by their best chunk among its hits (<see cref="BestChunkPerDocument{T}"/>);</item>
/// <item>the two lists are fused by <see cref="ScoreFusion"/> (<see cref="FirstPassVectorWeight"/>);</item>
/// <item>the query vector moves toward the best chunks of the first ranking's top documents (pseudo-relevance feedback,
/// Rocchio: <see cref="Expand"/>), the vector side is searched again with it, and the lists are fused once more
/// (<see cref="VectorWeight"/>).</item>
/// </list>
/// Every constant was chosen on the SciFact train split only (nDCG@10 + recall@10; eval/results/scifact.md). A hit's
/// score for callers is the fused score mapped to 0–1 over the query's candidates (<see cref="ScoreFusion.UnitRange"/>).
/// </summary>
public static class HybridRanking
{
    /// <summary>The vectors' share of the final fused score (full text has the rest).</summary>
    public const double VectorWeight = 0.6;

    /// <summary>The vectors' share in the first ranking, which only picks the feedback documents.</summary>
    public const double FirstPassVectorWeight = 0.55;

    /// <summary>How many of the first ranking's documents lend their best chunk to the query.</summary>
    public const int FeedbackDocuments = 2;

    /// <summary>The weight of the feedback chunks' mean against the query's own vector (which has weight 1).</summary>
    public const float FeedbackWeight = 0.3f;

    /// <summary>
    /// Documents mode fuses each list's best 100 documents out of its best 300 chunks (standard scores depend on how deep
    /// a list goes, so the evaluation uses the same depths).
    /// </summary>
    public const int DocumentDepth = 100;

    public const int DocumentChunkDepth = 300;

    /// <summary>Each document once, scored by its best hit; <paramref name="hits"/> come best first.</summary>
    public static List<(T Item, double Score)> BestChunkPerDocument<T>(IEnumerable<(T Document, float Score)> hits, int depth) =>
        [.. hits.DistinctBy(h => h.Document).Take(depth).Select(h => (h.Document, (double)h.Score))];

    public static IReadOnlyList<(T Item, double Score)> Fuse<T>(IReadOnlyList<(T Item, double Score)> text,
        IReadOnlyList<(T Item, double Score)> vector, double vectorWeight = VectorWeight) where T : notnull =>
        ScoreFusion.Fuse((text, 1 - vectorWeight), (vector, vectorWeight));

    /// <summary>
    /// The query moved toward the documents ranked first: unit(q + β · mean of each document's chunk most similar to q),
    /// over the first <see cref="FeedbackDocuments"/> of <paramref name="ranked"/> (vector index document keys).
    /// <paramref name="feedbackWeight"/> is β (the evaluation tries others).
    /// </summary>
    public static float[] Expand(ReadOnlySpan<float> query, IEnumerable<Guid> ranked, VectorIndex index, float feedbackWeight = FeedbackWeight)
    {
        var q = query.ToArray();
        return Expand(q, ranked.Take(FeedbackDocuments).Select(d => index.BestChunk(d, q)).OfType<float[]>().ToList(), feedbackWeight);
    }

    /// <summary>unit(q + β · mean of <paramref name="feedback"/>): the chunks chosen for the first items of a ranking.</summary>
    public static float[] Expand(ReadOnlySpan<float> query, IReadOnlyList<float[]> feedback, float feedbackWeight = FeedbackWeight)
    {
        var expanded = query.ToArray();
        foreach (var vector in feedback)
        {
            TensorPrimitives.MultiplyAdd(vector, feedbackWeight / feedback.Count, expanded, expanded);
        }
        if (feedback.Count > 0)
        {
            TensorPrimitives.Divide(expanded, TensorPrimitives.Norm(expanded), expanded);
        }
        return expanded;
    }
}
