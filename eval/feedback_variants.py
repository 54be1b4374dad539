# Pseudo-relevance feedback on the vector side, over what eval/Rag.Eval dumps with EVAL_DUMP_CHUNKS=<folder> (every chunk's
# vector and document, each query's vector and Lucene chunk hits): the first hybrid ranking's top m documents lend their
# chunk most similar to the query, q' = unit(q + beta * mean), the vectors are searched again and the lists fused once
# more. Each variant's final vector weight is tuned on train (nDCG@10 + recall@10); the first pass uses that
# normalisation's best weight without feedback. Reported on test. Needs numpy (Debian: python3-numpy).
# Usage: python3 eval/feedback_variants.py <folder>. Results: eval/results/fusion-variants.md.
import json, math, sys
from collections import defaultdict
import numpy as np

folder = sys.argv[1]
vectors = np.fromfile(f'{folder}/chunks.f32', dtype=np.float32).reshape(-1, 384)
docs = open(f'{folder}/chunks.tsv').read().split('\n')[:vectors.shape[0]]
chunks_of = defaultdict(list)
for i, d in enumerate(docs):
    chunks_of[d].append(i)
chunks_of = {d: np.array(v) for d, v in chunks_of.items()}
dump = json.load(open(f'{folder}/queries.json'))
train, test, queries = dump['train'], dump['test'], dump['queries']
query_vector = {q: np.array(v['vector'], dtype=np.float32) for q, v in queries.items()}

def ndcg(r, rel):
    return sum(1/math.log2(i+2) for i, x in enumerate(r[:10]) if x in rel) / sum(1/math.log2(i+2) for i in range(min(10, len(rel))))
def recall(r, rel): return sum(1 for x in r[:10] if x in rel)/len(rel)
def score(qrels, rank):
    n = r = 0
    for q, rel in qrels.items():
        ranking = rank(q); rel = set(rel); n += ndcg(ranking, rel); r += recall(ranking, rel)
    return n/len(qrels), r/len(qrels)
def best_chunk_per_document(pairs, depth=100):
    seen, out = set(), []
    for d, s in pairs:
        if d not in seen:
            seen.add(d); out.append((d, s))
            if len(out) == depth: break
    return out
def search(q, k=300):
    s = vectors @ q
    top = np.argpartition(-s, k)[:k]; top = top[np.argsort(-s[top])]
    return best_chunk_per_document([(docs[i], float(s[i])) for i in top])
text = {q: best_chunk_per_document([(docs[p], s) for p, s in v['text']]) for q, v in queries.items()}
first_vector = {q: search(query_vector[q]) for q in queries}

def minmax(l):
    lo, hi = min(s for _, s in l), max(s for _, s in l)
    return {i: ((s-lo)/(hi-lo) if hi > lo else 1) for i, s in l}
def zscore(l):
    s = np.array([x for _, x in l]); m, sd = s.mean(), s.std() or 1
    return {i: (x-m)/sd for i, x in l}
def fuse(t, v, w, norm):
    a, b = norm(t), norm(v)
    amin, bmin = min(a.values()), min(b.values())   # a document missing from a list gets that list's lowest
    keys = set(a) | set(b)
    fused = {x: (1-w)*a.get(x, amin) + w*b.get(x, bmin) for x in keys}
    return sorted(keys, key=lambda x: -fused[x])

weights = [round(i*0.05, 2) for i in range(1, 20)]
def tune(rank):
    w = max(weights, key=lambda w: sum(score(train, lambda q: rank(q, w))))
    return w, score(train, lambda q: rank(q, w)), score(test, lambda q: rank(q, w))

print('| normalisation | feedback documents m | beta | vector weight (first pass, final) | train nDCG@10 / recall@10 | test nDCG@10 | test recall@10 |')
print('|---|---:|---:|---|---|---:|---:|')
for name, norm in [('min-max', minmax), ('z-score', zscore)]:
    w0, tr, te = tune(lambda q, w: fuse(text[q], first_vector[q], w, norm))
    print(f'| {name} | 0 | | {w0} | {tr[0]:.4f} / {tr[1]:.4f} | {te[0]:.4f} | {te[1]:.4f} |', flush=True)
    for m in [2, 3, 5]:
        for beta in [0.2, 0.3, 0.45, 0.6, 1.0]:
            second = {}
            for q in queries:
                top = fuse(text[q], first_vector[q], w0, norm)[:m]
                s = vectors @ query_vector[q]
                feedback = [chunks_of[d][np.argmax(s[chunks_of[d]])] for d in top]
                expanded = query_vector[q] + beta * vectors[feedback].mean(axis=0)
                second[q] = search(expanded / np.linalg.norm(expanded))
            w, tr, te = tune(lambda q, w: fuse(text[q], second[q], w, norm))
            print(f'| {name} | {m} | {beta} | {w0}, {w} | {tr[0]:.4f} / {tr[1]:.4f} | {te[0]:.4f} | {te[1]:.4f} |', flush=True)
