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
/// Convex combination of standardised scores: each list's scores become standard scores over the items it returned
/// (z = (score − mean) / standard deviation), an item a list did not return gets that list's lowest, and the weighted
/// sum ranks. Unlike rank fusion it keeps how far apart the scores are, so a clear winner in one list is not levelled
/// with the next item; unlike min-max scaling, one outlier at the top of a list does not squeeze the rest together.
/// (Chosen on the SciFact train split over min-max scaling and rank fusion: eval/results/fusion-variants.md.)
/// </summary>
public static class ScoreFusion
{
    public static IReadOnlyList<(T Item, double Score)> Fuse<T>(params (IReadOnlyList<(T Item, double Score)> Scored, double Weight)[] lists) where T : notnull
    {
        var scores = new Dictionary<T, double>();
        var floor = 0.0;
        foreach (var (scored, weight) in lists)
        {
            if (scored.Count == 0)
            {
                continue;
            }
            var standard = Standardiser(scored.Select(s => s.Score));
            var lowest = standard(double.NegativeInfinity); // the list's lowest score's standard score
            floor += weight * lowest;
            foreach (var (item, score) in scored)
            {
                // Summed as the excess over each list's lowest; the floors of all lists are added at the end.
                scores[item] = scores.GetValueOrDefault(item) + weight * (standard(score) - lowest);
            }
        }
        return [.. scores.OrderByDescending(kv => kv.Value).Select(kv => (kv.Key, kv.Value + floor))];
    }

    /// <summary>
    /// Maps a score to its standard score over <paramref name="scores"/>; a score below their lowest counts as the lowest
    /// (one score, or all equal: 0).
    /// </summary>
    public static Func<double, double> Standardiser(IEnumerable<double> scores)
    {
        var list = scores.ToList();
        if (list.Count == 0)
        {
            return _ => 0;
        }
        var mean = list.Average();
        var deviation = Math.Sqrt(list.Sum(s => (s - mean) * (s - mean)) / list.Count);
        var lowest = list.Min();
        return score => deviation > 0 ? (Math.Max(score, lowest) - mean) / deviation : 0;
    }

    /// <summary>Maps scores to [0, 1] by the minimum and maximum of <paramref name="scores"/>, clamped (one score, or all equal: 1).</summary>
    public static Func<double, double> UnitRange(IEnumerable<double> scores)
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
