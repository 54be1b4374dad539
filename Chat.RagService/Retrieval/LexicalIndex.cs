using Lucene.Net.Analysis;
using Lucene.Net.Analysis.En;
using Lucene.Net.Analysis.TokenAttributes;
using Lucene.Net.Documents;
using Lucene.Net.Index;
using Lucene.Net.Queries;
using Lucene.Net.Search;
using Lucene.Net.Search.Similarities;
using Lucene.Net.Store;
using Lucene.Net.Util;

namespace Chat.RagService.Retrieval;

/// <summary>
/// The lexical side of hybrid search: a Lucene.NET inverted index of every ready chunk, ranked by BM25 (k1 = 0.9,
/// b = 0.4, as Anserini's BEIR baseline) with Lucene's English analyzer (Porter stemming, stop words). One per replica,
/// in a temporary folder, kept in step from Postgres by <c>Search.IndexSync</c> exactly like the vector index; Postgres
/// stays the truth, so the index is rebuilt from it at every start. Top-k costs milliseconds because only the postings
/// of the query's terms are read, instead of ranking every matching row in SQL.
/// </summary>
public sealed class LexicalIndex : IDisposable
{
    private const LuceneVersion Version = LuceneVersion.LUCENE_48;
    private const string IdField = "id";
    private const string ContentField = "sha";
    private const string TextField = "text";
    private static readonly Similarity Bm25 = new BM25Similarity(0.9f, 0.4f);

    private readonly string _path;
    private readonly FSDirectory _directory;
    private readonly Analyzer _analyzer = new EnglishAnalyzer(Version);
    private readonly IndexWriter _writer;
    private readonly SearcherManager _searchers;

    public LexicalIndex()
    {
        RemoveStaleFolders();
        _path = Path.Combine(Path.GetTempPath(), $"chataspire-lucene-{Environment.ProcessId}-{Guid.NewGuid():N}");
        _directory = FSDirectory.Open(_path);
        _writer = new IndexWriter(_directory, new IndexWriterConfig(Version, _analyzer)
        {
            OpenMode = OpenMode.CREATE,
            Similarity = Bm25,
            RAMBufferSizeMB = 64,
        });
        _searchers = new SearcherManager(_writer, applyAllDeletes: true, new Bm25SearcherFactory());
    }

    /// <summary>Replaces the chunks of <paramref name="upserts"/>' contents and removes <paramref name="removed"/> contents; visible to searches on return.</summary>
    public void Apply(IEnumerable<(string Sha256, IReadOnlyList<(Guid Id, string Text)> Chunks)> upserts, IEnumerable<string> removed)
    {
        foreach (var sha in removed)
        {
            _writer.DeleteDocuments(new Term(ContentField, sha));
        }
        foreach (var (sha, chunks) in upserts)
        {
            _writer.DeleteDocuments(new Term(ContentField, sha));
            _writer.AddDocuments(chunks.Select(c => (IEnumerable<IIndexableField>)new Document
            {
                new StringField(IdField, c.Id.ToString("N"), Field.Store.YES),
                new StringField(ContentField, sha, Field.Store.YES),
                new TextField(TextField, c.Text, Field.Store.NO),
            }));
        }
        _searchers.MaybeRefreshBlocking();
    }

    /// <summary>The <paramref name="k"/> best chunks for <paramref name="query"/>, among the given contents only unless <paramref name="contents"/> is null.</summary>
    public IReadOnlyList<TextHit> Search(string query, int k, IReadOnlyCollection<string>? contents)
    {
        var terms = Terms(query);
        if (terms.Count == 0 || contents is { Count: 0 })
        {
            return [];
        }
        var boolean = new BooleanQuery();
        foreach (var term in terms)
        {
            boolean.Add(new TermQuery(new Term(TextField, term)), Occur.SHOULD);
        }
        var filter = contents is null ? null : new TermsFilter([.. contents.Select(c => new Term(ContentField, c))]);
        var searcher = _searchers.Acquire();
        try
        {
            var top = searcher.Search(boolean, filter, k);
            var hits = new List<TextHit>(top.ScoreDocs.Length);
            foreach (var hit in top.ScoreDocs)
            {
                var doc = searcher.Doc(hit.Doc);
                hits.Add(new TextHit(Guid.ParseExact(doc.Get(IdField), "N"), doc.Get(ContentField), hit.Score));
            }
            return hits;
        }
        finally
        {
            _searchers.Release(searcher);
        }
    }

    /// <summary>Chunks in the index (deleted ones excluded).</summary>
    public int Count
    {
        get
        {
            var searcher = _searchers.Acquire();
            try
            {
                return searcher.IndexReader.NumDocs;
            }
            finally
            {
                _searchers.Release(searcher);
            }
        }
    }

    /// <summary>The query's distinct terms after analysis (lower case, stop words out, stemmed), at most Lucene's clause limit.</summary>
    private List<string> Terms(string query)
    {
        var terms = new List<string>();
        using var stream = _analyzer.GetTokenStream(TextField, query);
        var term = stream.AddAttribute<ICharTermAttribute>();
        stream.Reset();
        while (stream.IncrementToken() && terms.Count < BooleanQuery.MaxClauseCount)
        {
            var value = term.ToString();
            if (!terms.Contains(value))
            {
                terms.Add(value);
            }
        }
        stream.End();
        return terms;
    }

    public void Dispose()
    {
        _searchers.Dispose();
        _writer.Dispose();
        _directory.Dispose();
        _analyzer.Dispose();
        try
        {
            System.IO.Directory.Delete(_path, recursive: true);
        }
        catch (IOException)
        {
            // a temp folder; the next start removes it
        }
    }

    /// <summary>Folders left by replicas that died without cleaning up.</summary>
    private static void RemoveStaleFolders()
    {
        foreach (var stale in System.IO.Directory.EnumerateDirectories(Path.GetTempPath(), "chataspire-lucene-*"))
        {
            var parts = Path.GetFileName(stale).Split('-');
            if (parts.Length == 4 && int.TryParse(parts[2], out var pid) && !IsAlive(pid))
            {
                try
                {
                    System.IO.Directory.Delete(stale, recursive: true);
                }
                catch (IOException)
                {
                    // in use or already gone
                }
            }
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private sealed class Bm25SearcherFactory : SearcherFactory
    {
        public override IndexSearcher NewSearcher(IndexReader reader) => new(reader) { Similarity = Bm25 };
    }
}
