"""Reference nAUC values for test/export/mteb-nauc.test.ts, computed with numpy and scikit-learn themselves (the
calls MTEB's retrieval evaluator makes: np.std, stable np.argsort, ndarray.mean, sklearn.metrics.auc) on a trec_eval
golden case: its run (query and document order as in the file) and pytrec_eval's per-query values.

Usage: python tools/make-mteb-nauc-fixture.py test/fixtures/trec_eval/p01_biology_random_scores OUT.json
"""
import gzip
import json
import os
import sys

import numpy as np
from sklearn.metrics import auc

case, out = sys.argv[1], sys.argv[2]
run = {}
with gzip.open(os.path.join(case, 'run.txt.gz'), 'rt') as f:
    for line in f:
        qid, _, doc, _, score, _ = line.split()
        run.setdefault(qid, {})[doc] = float(score)
qrels = {}
with open(os.path.join(case, 'qrels.txt')) as f:
    for line in f:
        qid, _, doc, rel = line.split()
        qrels.setdefault(qid, {})[doc] = int(rel)
expected = json.load(open(os.path.join(case, 'expected.json')))
order = expected['eval_query_order']
assert len(order) == len(run), 'every run query is judged in this case'

rates = np.linspace(0, 1, 11)[:-1]


def curve(conf, metric):
    idx = np.argsort(conf, stable=True)
    values = np.zeros(len(rates))
    for i, rate in enumerate(rates):
        dropped = min(round(rate * idx.shape[0]), len(conf) - 1)
        values[i] = metric[idx[dropped:]].mean()
    return values


def normalised_auc(conf, metric):
    c, o = curve(conf, metric), curve(metric, metric)
    a, oa = auc(rates, c), auc(rates, o)
    flat = o[0] * (rates[-1] - rates[0])
    return float('nan') if oa == flat else float((a - flat) / (oa - flat))


conf = {'max': [], 'std': [], 'diff1': []}
for qid, docs in run.items():
    scores = list(docs.values())
    ranked = sorted(scores)[::-1]
    conf['max'].append(ranked[0])
    conf['std'].append(float(np.std(scores)))
    conf['diff1'].append(ranked[0] - ranked[1] if len(scores) > 1 else 0.0)
conf = {k: np.array(v) for k, v in conf.items()}

metrics = {}
for k in (1, 5, 10, 100):
    for name, key in (('ndcg', 'ndcg_cut_'), ('map', 'map_cut_'), ('recall', 'recall_'), ('precision', 'P_')):
        metrics[f'{name}_at_{k}'] = np.array([expected['per_query'][q][f'{key}{k}'] for q in order])
    # MTEB's own MRR: score-sorted (stable), first document with qrel > 0 within the top k
    rr = []
    for qid, docs in run.items():
        hits = sorted(docs.items(), key=lambda item: item[1], reverse=True)[:k]
        relevant = {d for d, r in qrels.get(qid, {}).items() if r > 0}
        rr.append(next((1.0 / (rank + 1) for rank, (d, _) in enumerate(hits) if d in relevant), 0.0))
    metrics[f'mrr_at_{k}'] = np.array(rr)

result = {'numpy': np.__version__, 'metrics': {n: [float(x) for x in v] for n, v in metrics.items()}, 'nauc': {}}
for name, values in metrics.items():
    for kind in ('max', 'std', 'diff1'):
        result['nauc'][f'nauc_{name}_{kind}'] = normalised_auc(conf[kind], values)
json.dump(result, open(out, 'w'), indent=1)
