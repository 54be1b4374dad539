# Fusion variants over the lists eval/Rag.Eval dumps with EVAL_DUMP=<file>: each variant tuned on train (nDCG@10 + recall@10),
# reported on test. Usage: python3 eval/fusion_variants.py <dump.json>. Results: eval/results/fusion-variants.md.
import json, math, statistics as st, sys
d = json.load(open(sys.argv[1]))
train, test, lists = d['train'], d['test'], d['lists']
def ndcg(r, rel):
    dcg = sum(1/math.log2(i+2) for i, x in enumerate(r[:10]) if x in rel)
    idcg = sum(1/math.log2(i+2) for i in range(min(10, len(rel))))
    return dcg/idcg
def recall(r, rel): return sum(1 for x in r[:10] if x in rel)/len(rel)
def score(qrels, rank):
    n = [ndcg(rank(q), set(v)) for q, v in qrels.items()]; r = [recall(rank(q), set(v)) for q, v in qrels.items()]
    return sum(n)/len(n), sum(r)/len(r)
def minmax(l, depth):
    l = l[:depth]
    if not l: return {}
    mn, mx = min(s for _, s in l), max(s for _, s in l)
    return {i: ((s-mn)/(mx-mn) if mx > mn else 1) for i, s in l}
def zscore(l, depth):
    l = l[:depth]
    if len(l) < 2: return {i: 1 for i, _ in l}
    m = st.mean(s for _, s in l); sd = st.pstdev(s for _, s in l) or 1
    return {i: (s-m)/sd for i, s in l}
def dbsf(l, depth):
    l = l[:depth]
    if len(l) < 2: return {i: 1 for i, _ in l}
    m = st.mean(s for _, s in l); sd = st.pstdev(s for _, s in l) or 1
    lo, hi = m-3*sd, m+3*sd
    return {i: (s-lo)/(hi-lo) for i, s in l}
def cc(norm, depth, a, missing='zero'):
    def rank(q):
        t = norm(lists[q]['text'], depth); v = norm(lists[q]['vector'], depth)
        mt = min(t.values()) if (t and missing=='min') else 0; mv = min(v.values()) if (v and missing=='min') else 0
        ids = set(t) | set(v)
        return sorted(ids, key=lambda i: -((1-a)*t.get(i, mt) + a*v.get(i, mv)))
    return rank
def rrf(k, w):
    def rank(q):
        s = {}
        for i, (x, _) in enumerate(lists[q]['text']): s[x] = s.get(x, 0) + 1/(k+i+1)
        for i, (x, _) in enumerate(lists[q]['vector']): s[x] = s.get(x, 0) + w/(k+i+1)
        return sorted(s, key=lambda x: -s[x])
    return rank
alphas = [i*0.05 for i in range(1, 20)]
variants = {}
for name, norm in [('minmax', minmax), ('zscore', zscore), ('dbsf', dbsf)]:
    for depth in [20, 50, 100]:
        for missing in (['zero', 'min'] if name == 'zscore' else ['zero']):
            variants[f'{name} depth {depth} missing {missing}'] = [(a, cc(norm, depth, a, missing)) for a in alphas]
variants['rrf'] = [((k, w), rrf(k, w)) for k in [5, 10, 20, 60] for w in [0.5, 0.75, 1, 1.25, 1.5, 2]]
for name, grid in variants.items():
    best = max(grid, key=lambda p: sum(score(train, p[1])))
    tr = score(train, best[1]); te = score(test, best[1])
    print(f'{name:34s} param {best[0]}: train {tr[0]:.4f}/{tr[1]:.4f}  test nDCG {te[0]:.4f} recall {te[1]:.4f}')
