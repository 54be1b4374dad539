using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Chat.RagService.Retrieval;
using ChatAspire.Rules;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Wordprocessing;
using UglyToad.PdfPig;

namespace Chat.RagService.Ingestion;

/// <summary>The file's bytes cannot be read as the type it claims (a corrupt PDF, say): the document fails with this reason.</summary>
public sealed class ExtractionException(string reason, Exception? inner = null) : Exception(reason, inner);

/// <summary>
/// Turns a file into sections of text that remember where they came from: PDF pages, Markdown/HTML/DOCX headings.
/// Chat.Files has already decided the content type from the bytes, so the type is trusted here.
/// </summary>
public static partial class TextExtractor
{
    public static readonly IReadOnlySet<string> Supported = new HashSet<string>(StringComparer.Ordinal)
    {
        "text/plain", "text/markdown", "text/csv", "application/json", "text/html", "application/pdf",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    };

    /// <summary>Most characters of text taken from one file; a file with more fails (its text would not fit a sane index anyway).</summary>
    public const int MaxTextCharacters = 20_000_000;

    public static IReadOnlyList<Section> Extract(Stream content, string contentType) => Extract(content, contentType, new ArchiveLimits());

    /// <summary>Sections of <paramref name="content"/> (seekable); zip-based formats are checked against <paramref name="archives"/> before anything is inflated.</summary>
    public static IReadOnlyList<Section> Extract(Stream content, string contentType, ArchiveLimits archives)
    {
        try
        {
            var sections = contentType switch
            {
                "application/pdf" => Pdf(content),
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => Docx(content, archives),
                "text/markdown" => Markdown(ReadText(content)),
                "text/html" => Html(ReadText(content)),
                "application/json" => Json(ReadText(content)),
                "text/plain" or "text/csv" => Plain(ReadText(content)),
                _ => throw new ExtractionException($"Files of type {contentType} hold no text to index."),
            };
            return sections.Sum(s => (long)s.Text.Length) <= MaxTextCharacters
                ? sections
                : throw new ExtractionException($"The file holds more than {MaxTextCharacters:N0} characters of text.");
        }
        catch (Exception ex) when (ex is not ExtractionException and not OperationCanceledException)
        {
            throw new ExtractionException($"The {contentType} file could not be read: {ex.Message}", ex);
        }
    }

    private static string ReadText(Stream content)
    {
        using var reader = new StreamReader(content, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, leaveOpen: true);
        return reader.ReadToEnd();
    }

    private static List<Section> Plain(string text) => NonEmpty([new Section(text)]);

    private static List<Section> Pdf(Stream content)
    {
        using var pdf = PdfDocument.Open(content);
        var sections = new List<Section>();
        foreach (var page in pdf.GetPages())
        {
            var words = string.Join(' ', page.GetWords().Select(w => w.Text));
            sections.Add(new Section(words, Page: page.Number));
        }
        return NonEmpty(sections);
    }

    private static List<Section> Docx(Stream content, ArchiveLimits archives)
    {
        // Chat.Files checked the archive on upload; check again before inflating (files stored before the limits existed,
        // or a different configuration), and cap every part the SDK parses.
        if (ArchiveInspector.Refusal(content, archives) is { } refusal)
        {
            throw new ExtractionException(refusal);
        }
        content.Position = 0;
        using var doc = WordprocessingDocument.Open(content, isEditable: false,
            new DocumentFormat.OpenXml.Packaging.OpenSettings { MaxCharactersInPart = MaxTextCharacters * 4L });
        var body = doc.MainDocumentPart?.Document?.Body ?? throw new ExtractionException("The DOCX file has no document body.");
        var sections = new List<Section>();
        string? heading = null;
        var text = new StringBuilder();
        foreach (var paragraph in body.Descendants<Paragraph>())
        {
            var style = paragraph.ParagraphProperties?.ParagraphStyleId?.Val?.Value ?? "";
            var line = paragraph.InnerText;
            if (style.StartsWith("Heading", StringComparison.OrdinalIgnoreCase) || style.Equals("Title", StringComparison.OrdinalIgnoreCase))
            {
                sections.Add(new Section(text.ToString(), Heading: heading));
                text.Clear();
                heading = line.Trim();
                continue;
            }
            text.AppendLine(line);
        }
        sections.Add(new Section(text.ToString(), Heading: heading));
        return NonEmpty(sections);
    }

    private static List<Section> Markdown(string markdown)
    {
        var sections = new List<Section>();
        string? heading = null;
        var text = new StringBuilder();
        var fenced = false;
        foreach (var line in markdown.Split('\n'))
        {
            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                fenced = !fenced;
            }
            var match = fenced ? Match.Empty : MarkdownHeading().Match(line);
            if (match.Success)
            {
                sections.Add(new Section(text.ToString(), Heading: heading));
                text.Clear();
                heading = match.Groups["title"].Value.Trim();
                continue;
            }
            text.AppendLine(line);
        }
        sections.Add(new Section(text.ToString(), Heading: heading));
        return NonEmpty(sections);
    }

    private static List<Section> Html(string html)
    {
        var body = HtmlDropped().Replace(html, " ");
        var sections = new List<Section>();
        string? heading = null;
        var last = 0;
        foreach (Match match in HtmlHeading().Matches(body))
        {
            sections.Add(new Section(HtmlText(body[last..match.Index]), Heading: heading));
            heading = HtmlText(match.Groups["title"].Value).Trim();
            last = match.Index + match.Length;
        }
        sections.Add(new Section(HtmlText(body[last..]), Heading: heading));
        return NonEmpty(sections);
    }

    private static string HtmlText(string fragment) => WebUtility.HtmlDecode(HtmlTag().Replace(fragment, " "));

    /// <summary>JSON as "path: value" lines, so keys stay searchable beside their values.</summary>
    private static List<Section> Json(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var text = new StringBuilder();
        Flatten(doc.RootElement, "", text);
        return NonEmpty([new Section(text.ToString())]);

        static void Flatten(JsonElement element, string path, StringBuilder text)
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.Object:
                    foreach (var property in element.EnumerateObject())
                    {
                        Flatten(property.Value, path.Length == 0 ? property.Name : $"{path}.{property.Name}", text);
                    }
                    break;
                case JsonValueKind.Array:
                    var i = 0;
                    foreach (var item in element.EnumerateArray())
                    {
                        Flatten(item, $"{path}[{i++}]", text);
                    }
                    break;
                default:
                    text.Append(path).Append(": ").AppendLine(element.ToString());
                    break;
            }
        }
    }

    private static List<Section> NonEmpty(List<Section> sections)
    {
        var kept = sections.Where(s => !string.IsNullOrWhiteSpace(s.Text)).ToList();
        return kept.Count > 0 ? kept : throw new ExtractionException("The file contains no text.");
    }

    [GeneratedRegex(@"^\s{0,3}#{1,6}\s+(?<title>.+?)\s*#*\s*$")]
    private static partial Regex MarkdownHeading();

    [GeneratedRegex(@"<(script|style|noscript|template)\b[^>]*>.*?</\1\s*>|<!--.*?-->", RegexOptions.IgnoreCase | RegexOptions.Singleline)]
    private static partial Regex HtmlDropped();

    [GeneratedRegex(@"<h[1-6]\b[^>]*>(?<title>.*?)</h[1-6]\s*>", RegexOptions.IgnoreCase | RegexOptions.Singleline)]
    private static partial Regex HtmlHeading();

    [GeneratedRegex(@"<[^>]*>")]
    private static partial Regex HtmlTag();
}
