using System.Text;
using ChatAspire.Rules;

namespace Chat.Files.Storage;

/// <summary>Original names are metadata only (storage names are content hashes); they are still made harmless.</summary>
public static class FileNames
{
    public static string Sanitize(string? raw)
    {
        var name = (raw ?? "").Replace('\\', '/');
        name = name[(name.LastIndexOf('/') + 1)..]; // no directories, absolute or relative
        var clean = new StringBuilder(name.Length);
        // Control and format characters go: a bidi override would make "invoice\u202Efdp.txt" display as "invoicetxt.pdf".
        foreach (var c in TextRules.StripForName(name.Normalize(NormalizationForm.FormC)))
        {
            if (c is not ('<' or '>' or ':' or '"' or '|' or '?' or '*'))
            {
                clean.Append(c);
            }
        }
        var result = clean.ToString().Trim().Trim('.').Trim();
        if (result.Length > StoredFile.MaxNameLength)
        {
            var extension = Path.GetExtension(result);
            result = result[..(StoredFile.MaxNameLength - extension.Length)] + extension;
        }
        return result.Length == 0 ? "file" : result;
    }
}
