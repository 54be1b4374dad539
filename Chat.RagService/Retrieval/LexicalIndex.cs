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

/// <summary>A chunk the lexical index matched, with its BM25 score.</summary>
public sealed record TextHit(Guid ChunkId, string Sha256, float Score);

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
    private const string ItemField = "item";
    /// <summary>BM25 term-frequency saturation; Anserini's BEIR value.</summary>
    public const float DefaultK1 = 0.9f;
    /// <summary>BM25 length normalisation; Anserini's BEIR value.</summary>
    public const float DefaultB = 0.4f;

    private readonly Similarity _bm25;

    private readonly string _path;
    private readonly FSDirectory _directory;
    private readonly Analyzer _analyzer = new EnglishAnalyzer(Version);
    private readonly IndexWriter _writer;
    private readonly SearcherManager _searchers;
    private readonly HashSet<string> _contents = new(StringComparer.Ordinal);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Filter> _filters = new(StringComparer.Ordinal);
    private const int MaxCachedFilters = 256;

    /// <summary>An empty index ranked by BM25 with <paramref name="k1"/> and <paramref name="b"/> (other values serve the evaluation's tuning).</summary>
    public LexicalIndex(float k1 = DefaultK1, float b = DefaultB)
    {
        _bm25 = new BM25Similarity(k1, b);
        RemoveStaleFolders();
        _path = Path.Combine(Path.GetTempPath(), $"chataspire-lucene-{Environment.ProcessId}-{Guid.NewGuid():N}");
        _directory = FSDirectory.Open(_path);
        _writer = new IndexWriter(_directory, new IndexWriterConfig(Version, _analyzer)
        {
            OpenMode = OpenMode.CREATE,
            Similarity = _bm25,
            RAMBufferSizeMB = 64,
        });
        _searchers = new SearcherManager(_writer, applyAllDeletes: true, new Bm25SearcherFactory(_bm25));
    }

    /// <summary>Replaces the chunks of <paramref name="upserts"/>' contents and removes <paramref name="removed"/> contents; visible to searches on return.</summary>
    public void Apply(IEnumerable<(string Sha256, IReadOnlyList<(Guid Id, string Text)> Chunks)> upserts, IEnumerable<string> removed)
    {
        lock (_contents)
        {
            foreach (var sha in removed)
            {
                _writer.DeleteDocuments(new Term(ContentField, sha));
                _contents.Remove(sha);
            }
        }
        foreach (var (sha, chunks) in upserts)
        {
            lock (_contents)
            {
                _contents.Add(sha);
            }
            _writer.DeleteDocuments(new Term(ContentField, sha));
            // Nothing is stored: a hit's chunk id and content are read from doc values (column-wise, uncompressed), not from
            // stored fields, whose every read decompresses a block. The content is also indexed, to delete and filter by it.
            var content = new BytesRef(sha);
            _writer.AddDocuments(chunks.Select(c => (IEnumerable<IIndexableField>)new Document
            {
                new BinaryDocValuesField(IdField, new BytesRef(c.Id.ToByteArray())),
                new StringField(ContentField, sha, Field.Store.NO),
                new SortedDocValuesField(ContentField, content),
                new TextField(TextField, c.Text, Field.Store.NO),
            }));
        }
        _searchers.MaybeRefreshBlocking();
    }

    /// <summary>
    /// Removes the <paramref name="removed"/> items, then adds the chunks of <paramref name="items"/> (messages) inside their
    /// content group (their channel): an item being replaced is named in both. Unlike <see cref="Apply"/>, a group keeps
    /// its other items. Visible on return (one reopen of the searcher, however many items).
    /// </summary>
    public void Put(IEnumerable<(string Group, Guid Item, IReadOnlyList<(Guid Id, string Text)> Chunks)> items, IEnumerable<Guid> removed)
    {
        foreach (var id in removed)
        {
            _writer.DeleteDocuments(new Term(ItemField, id.ToString("N")));
        }
        foreach (var (group, item, chunks) in items)
        {
            lock (_contents)
            {
                _contents.Add(group);
            }
            var itemKey = item.ToString("N");
            var content = new BytesRef(group);
            _writer.AddDocuments(chunks.Select(c => (IEnumerable<IIndexableField>)new Document
            {
                new BinaryDocValuesField(IdField, new BytesRef(c.Id.ToByteArray())),
                new StringField(ContentField, group, Field.Store.NO),
                new SortedDocValuesField(ContentField, content),
                new StringField(ItemField, itemKey, Field.Store.NO),
                new TextField(TextField, c.Text, Field.Store.NO),
            }));
        }
        _searchers.MaybeRefreshBlocking();
    }

    /// <summary>
    /// The <paramref name="k"/> best chunks for <paramref name="query"/>, among the given contents only unless
    /// <paramref name="contents"/> is null. A caller who may read a large share of the index is served by over-fetching
    /// without a filter and dropping what they may not read (a filter of thousands of contents costs ~100 ms at 100k
    /// chunks, measured); a narrower one by a filter on their contents, whose per-segment bit sets are kept for the
    /// next search with the same contents.
    /// </summary>
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
        var searcher = _searchers.Acquire();
        try
        {
            if (contents is null)
            {
                return Hits(searcher, searcher.Search(boolean, k), k, null);
            }
            var allowed = contents as ICollection<string> ?? contents.ToHashSet(StringComparer.Ordinal);
            int indexed;
            lock (_contents)
            {
                indexed = Math.Max(1, _contents.Count);
            }
            var share = Math.Min(1.0, allowed.Count / (double)indexed);
            if (share >= 0.2)
            {
                var fetch = (int)Math.Min(int.MaxValue / 2, Math.Ceiling(k / share * 2) + 10);
                var top = searcher.Search(boolean, fetch);
                var hits = Hits(searcher, top, k, allowed);
                if (hits.Count >= k || top.TotalHits <= fetch)
                {
                    return hits;
                }
            }
            return Hits(searcher, searcher.Search(boolean, FilterFor(allowed), k), k, null);
        }
        finally
        {
            _searchers.Release(searcher);
        }
    }

    private static List<TextHit> Hits(IndexSearcher searcher, TopDocs top, int k, ICollection<string>? allowed)
    {
        var hits = new List<TextHit>(Math.Min(k, top.ScoreDocs.Length));
        var leaves = searcher.IndexReader.Leaves;
        var values = new (BinaryDocValues Ids, SortedDocValues Contents)?[leaves.Count];
        var bytes = new BytesRef();
        foreach (var hit in top.ScoreDocs)
        {
            var leaf = ReaderUtil.SubIndex(hit.Doc, leaves);
            var (ids, contents) = values[leaf] ??= (leaves[leaf].AtomicReader.GetBinaryDocValues(IdField), leaves[leaf].AtomicReader.GetSortedDocValues(ContentField));
            var doc = hit.Doc - leaves[leaf].DocBase;
            contents.Get(doc, bytes);
            var sha = bytes.Utf8ToString();
            if (allowed is null || allowed.Contains(sha))
            {
                ids.Get(doc, bytes);
                hits.Add(new TextHit(new Guid(bytes.Bytes.AsSpan(bytes.Offset, bytes.Length)), sha, hit.Score));
                if (hits.Count == k)
                {
                    break;
                }
            }
        }
        return hits;
    }

    /// <summary>A filter on these contents, cached by their hash (the bit sets are computed once per segment).</summary>
    private Filter FilterFor(ICollection<string> contents)
    {
        var sorted = contents.Order(StringComparer.Ordinal).ToList();
        var key = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(string.Join(',', sorted))));
        if (_filters.TryGetValue(key, out var cached))
        {
            return cached;
        }
        if (_filters.Count >= MaxCachedFilters)
        {
            _filters.Clear();
        }
        return _filters.GetOrAdd(key, _ => new CachingWrapperFilter(new TermsFilter([.. sorted.Select(c => new Term(ContentField, c))])));
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

    private sealed class Bm25SearcherFactory(Similarity similarity) : SearcherFactory
    {
        public override IndexSearcher NewSearcher(IndexReader reader) => new(reader) { Similarity = similarity };
    }
}
