using System.Globalization;
using System.Text;

namespace ChatAspire.Rules;

/// <summary>
/// The one place that says which characters client text may hold. Postgres cannot store NUL (error 22021), control
/// characters have no business in chat text, and format characters (bidi overrides like U+202E, zero-width spaces)
/// let a name display as something it is not ("invoice\u202Efdp.txt" shows as "invoicetxt.pdf").
/// </summary>
public static class TextRules
{
    /// <summary>Free text (messages, topics, queries): no NUL or other control character except tab and line breaks.</summary>
    public static bool IsAcceptableText(string text)
    {
        foreach (var c in text)
        {
            if (char.IsControl(c) && c is not ('\n' or '\r' or '\t'))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// A name shown to other people (display names, channel names, file names): no control characters and no format
    /// characters except the zero-width joiner that emoji sequences need.
    /// </summary>
    public static bool IsAcceptableName(string name)
    {
        foreach (var c in name)
        {
            if (!IsNameCharacter(c))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary><paramref name="name"/> without the characters <see cref="IsAcceptableName"/> refuses.</summary>
    public static string StripForName(string name)
    {
        var clean = new StringBuilder(name.Length);
        foreach (var c in name)
        {
            if (IsNameCharacter(c))
            {
                clean.Append(c);
            }
        }
        return clean.ToString();
    }

    /// <summary>What a person would read: NFKC-folded, case-folded, without format characters and whitespace ("Ａssistant " → "assistant").</summary>
    public static string Skeleton(string name)
    {
        var folded = name.Normalize(NormalizationForm.FormKC).ToLowerInvariant();
        var clean = new StringBuilder(folded.Length);
        foreach (var c in folded)
        {
            if (!char.IsWhiteSpace(c) && !char.IsControl(c) && CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.Format
                && c is not ('.' or '_' or '-'))
            {
                clean.Append(c);
            }
        }
        return clean.ToString();
    }

    private static bool IsNameCharacter(char c) =>
        !char.IsControl(c) && (c == '\u200D' || CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.Format);
}
