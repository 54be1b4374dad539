using System.Text;
using Chat.RagService.Ingestion;
using Chat.RagService.Retrieval;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Wordprocessing;

namespace ChatAspire.Tests.Rag;

/// <summary>Every format the RAG service reads, with the places (pages, headings) that citations need.</summary>
public sealed class TextExtractorTests
{
    [Fact]
    public void Pdf_text_keeps_its_page_numbers()
    {
        var sections = Extract(RagSamples.Pdf("First page words.", "Second page words."), "application/pdf");
        Assert.Equal([(1, "First page words."), (2, "Second page words.")], sections.Select(s => (s.Page!.Value, s.Text)));
    }

    [Fact]
    public void Markdown_sections_carry_their_headings_and_fenced_code_is_not_a_heading()
    {
        var sections = Extract(Encoding.UTF8.GetBytes("Intro line.\n# Setup\nInstall it.\n```\n# not a heading\n```\n## Usage ##\nRun it.\n"), "text/markdown");
        Assert.Equal([null, "Setup", "Usage"], sections.Select(s => s.Heading));
        Assert.Contains("# not a heading", sections[1].Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Html_drops_scripts_and_styles_decodes_entities_and_keeps_headings()
    {
        var html = "<html><head><style>p{}</style><script>alert('x')</script></head><body><h1>Fish &amp; Chips</h1><p>Served <b>hot</b>.</p>" +
                   "<h2>Prices</h2><p>Five&nbsp;euros.</p><!-- hidden --></body></html>";
        var sections = Extract(Encoding.UTF8.GetBytes(html), "text/html");
        Assert.Equal(["Fish & Chips", "Prices"], sections.Select(s => s.Heading));
        Assert.DoesNotContain(sections, s => s.Text.Contains("alert", StringComparison.Ordinal) || s.Text.Contains("hidden", StringComparison.Ordinal));
        Assert.Contains("Served", sections[0].Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Docx_paragraphs_are_grouped_under_their_heading_styles()
    {
        using var buffer = new MemoryStream();
        using (var doc = WordprocessingDocument.Create(buffer, WordprocessingDocumentType.Document))
        {
            var main = doc.AddMainDocumentPart();
            main.Document = new Document(new Body(
                Paragraph("Preface text.", null), Paragraph("Installation", "Heading1"), Paragraph("Run the installer.", null),
                Paragraph("Support", "Heading2"), Paragraph("Mail the team.", null)));
        }
        var sections = Extract(buffer.ToArray(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document");
        Assert.Equal([null, "Installation", "Support"], sections.Select(s => s.Heading));
        Assert.Equal("Run the installer.", sections[1].Text.Trim());

        static Paragraph Paragraph(string text, string? style) => style is null
            ? new Paragraph(new Run(new Text(text)))
            : new Paragraph(new ParagraphProperties(new ParagraphStyleId { Val = style }), new Run(new Text(text)));
    }

    [Fact]
    public void Json_becomes_path_value_lines_and_csv_stays_text()
    {
        var json = Extract(Encoding.UTF8.GetBytes("""{"service":{"name":"rag","ports":[8080,8081]}}"""), "application/json");
        Assert.Equal("service.name: rag\nservice.ports[0]: 8080\nservice.ports[1]: 8081\n", json.Single().Text.ReplaceLineEndings("\n"));
        Assert.Contains("alice,42", Extract(Encoding.UTF8.GetBytes("name,age\nalice,42\n"), "text/csv").Single().Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Unreadable_or_empty_files_fail_with_a_reason()
    {
        var corrupt = Assert.Throws<ExtractionException>(() => Extract(RagSamples.CorruptPdf(), "application/pdf"));
        Assert.StartsWith("The application/pdf file could not be read", corrupt.Message, StringComparison.Ordinal);
        Assert.Equal("The file contains no text.", Assert.Throws<ExtractionException>(() => Extract(Encoding.UTF8.GetBytes("  \n "), "text/plain")).Message);
        Assert.Contains("hold no text", Assert.Throws<ExtractionException>(() => Extract([1, 2, 3], "image/png")).Message, StringComparison.Ordinal);
    }

    private static IReadOnlyList<Section> Extract(byte[] bytes, string contentType) => TextExtractor.Extract(new MemoryStream(bytes), contentType);
}
