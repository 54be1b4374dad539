namespace Chat.RagService.Retrieval;

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

/// <summary>
/// Convex combination of min-max normalised scores: each list's scores are scaled to [0, 1] over the items it returned
/// (an item a list did not return scores 0 there), then weighted and summed. Unlike rank fusion it keeps how far apart
/// the scores are, so a clear winner in one list is not levelled with the next item.
/// </summary>
public static class ScoreFusion
{
    public static IReadOnlyList<(T Item, double Score)> Fuse<T>(params (IReadOnlyList<(T Item, double Score)> Scored, double Weight)[] lists) where T : notnull
    {
        var scores = new Dictionary<T, double>();
        foreach (var (scored, weight) in lists)
        {
            if (scored.Count == 0)
            {
                continue;
            }
            var max = scored.Max(s => s.Score);
            var min = scored.Min(s => s.Score);
            var range = max - min;
            foreach (var (item, score) in scored)
            {
                var normalised = range > 0 ? (score - min) / range : 1;
                scores[item] = scores.GetValueOrDefault(item) + weight * normalised;
            }
        }
        return [.. scores.OrderByDescending(kv => kv.Value).Select(kv => (kv.Key, kv.Value))];
    }
}
