using System.Text;

namespace ChatAspire.ServiceDefaults.Observability;

/// <summary>A query string with every value replaced: <c>?q=secret&amp;limit=5</c> → <c>q=REDACTED&amp;limit=REDACTED</c>.</summary>
public static class QueryRedaction
{
    public const string Redacted = "REDACTED";

    public static string Redact(string? query)
    {
        var text = (query ?? "").TrimStart('?');
        if (text.Length == 0)
        {
            return "";
        }
        var redacted = new StringBuilder(text.Length);
        foreach (var pair in text.Split('&'))
        {
            if (redacted.Length > 0)
            {
                redacted.Append('&');
            }
            var equals = pair.IndexOf('=');
            var name = equals < 0 ? pair : pair[..equals];
            // Names are the client's too: keep them short and plain.
            redacted.Append(name.Length <= 64 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.') ? name : "_").Append('=').Append(Redacted);
        }
        return redacted.ToString();
    }
}
