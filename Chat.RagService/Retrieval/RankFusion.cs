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
            var scale = Normaliser(scored.Select(s => s.Score));
            foreach (var (item, score) in scored)
            {
                scores[item] = scores.GetValueOrDefault(item) + weight * scale(score);
            }
        }
        return [.. scores.OrderByDescending(kv => kv.Value).Select(kv => (kv.Key, kv.Value))];
    }

    /// <summary>Maps a list's scores to [0, 1] by its minimum and maximum (a lower score than the list's minimum gives 0; one score gives 1).</summary>
    public static Func<double, double> Normaliser(IEnumerable<double> scores)
    {
        var list = scores.ToList();
        if (list.Count == 0)
        {
            return _ => 0;
        }
        var (min, max) = (list.Min(), list.Max());
        var range = max - min;
        return score => range > 0 ? Math.Clamp((score - min) / range, 0, 1) : 1;
    }
}
