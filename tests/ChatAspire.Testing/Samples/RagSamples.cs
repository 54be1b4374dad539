using UglyToad.PdfPig.Content;
using UglyToad.PdfPig.Core;
using UglyToad.PdfPig.Fonts.Standard14Fonts;
using UglyToad.PdfPig.Writer;

namespace ChatAspire.Testing;

/// <summary>Documents with known content for ingestion tests.</summary>
public static class RagSamples
{
    /// <summary>A real PDF with one line of text per page (page numbers are 1-based).</summary>
    public static byte[] Pdf(params string[] pages)
    {
        var builder = new PdfDocumentBuilder();
        var font = builder.AddStandard14Font(Standard14Font.Helvetica);
        foreach (var text in pages)
        {
            var page = builder.AddPage(PageSize.A4);
            var y = 780;
            foreach (var line in Wrap(text, 80))
            {
                page.AddText(line, 10, new PdfPoint(40, y), font);
                y -= 14;
            }
        }
        return builder.Build();
    }

    public static byte[] Markdown(string text) => System.Text.Encoding.UTF8.GetBytes(text);

    /// <summary>Starts like a PDF (so Chat.Files accepts it) but has no readable structure.</summary>
    public static byte[] CorruptPdf() => [.. "%PDF-1.7\n"u8, .. System.Text.Encoding.ASCII.GetBytes($"this is not a pdf body {Guid.NewGuid()}\n")];

    /// <summary>Plain text of about <paramref name="words"/> distinct words.</summary>
    public static byte[] LongText(int words, string seed) =>
        System.Text.Encoding.UTF8.GetBytes(string.Join(' ', Enumerable.Range(0, words).Select(i => $"{seed}{i % 97} measurement{i % 13} value{i}")));

    private static IEnumerable<string> Wrap(string text, int width)
    {
        var line = "";
        foreach (var word in text.Split(' '))
        {
            if (line.Length + word.Length + 1 > width)
            {
                yield return line;
                line = "";
            }
            line = line.Length == 0 ? word : $"{line} {word}";
        }
        if (line.Length > 0)
        {
            yield return line;
        }
    }
}
