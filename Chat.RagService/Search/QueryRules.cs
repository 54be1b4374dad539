namespace Chat.RagService.Search;

/// <summary>What a search query must be, for every search of this service: present, not too long, no control characters.</summary>
public static class QueryRules
{
    /// <summary>Adds the problem with <paramref name="query"/>, if any, to <paramref name="errors"/> under <paramref name="field"/>.</summary>
    public static void Check(string? query, int maxLength, IDictionary<string, string[]> errors, string field)
    {
        if (string.IsNullOrWhiteSpace(query))
        {
            errors[field] = ["Say what to search for."];
        }
        else if (query.Length > maxLength)
        {
            errors[field] = [$"A query has at most {maxLength} characters."];
        }
        else if (!ChatAspire.Rules.TextRules.IsAcceptableText(query))
        {
            errors[field] = ["The query contains a control character (such as NUL)."];
        }
    }
}
