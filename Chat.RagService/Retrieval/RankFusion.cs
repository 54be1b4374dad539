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
