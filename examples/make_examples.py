"""Regenerates examples/baseline.json and examples/candidate.json (deterministic).

A small, realistic pair: 600 reading-comprehension questions over 120 passages (cluster_id =
passage), 0/1 accuracy. Questions on one passage share a difficulty, so scores cluster; the
candidate is the same model family, better by about 7 points, and right or wrong on mostly the
same questions (paired scores are strongly correlated, as in real evaluations).
"""
import json
import math
import random

rng = random.Random(20261122)


def logistic(x):
    return 1 / (1 + math.exp(-x))


def frame(run_id, model_id, items):
    return {
        "run_id": run_id,
        "model_id": model_id,
        "task_id": "reading-comprehension-v3",
        "metric_name": "accuracy",
        "config_hash": "sha256:6b1f0c2e",
        "items": items,
    }


base, cand = [], []
for p in range(120):
    passage = rng.gauss(0.6, 1.0)
    for q in range(5):
        item = passage + rng.gauss(0, 0.7)
        u = rng.random()
        b = 1.0 if u < logistic(item) else 0.0
        c = 1.0 if u < logistic(item + 0.55) else 0.0
        if rng.random() < 0.02:  # a few independent flips either way
            c = 1.0 - c
        meta = {"passage_id": f"p{p:03d}", "subject": ["history", "science", "law", "medicine"][p % 4]}
        iid = f"rc-{p:03d}-{q}"
        base.append({"item_id": iid, "score": b, "cluster_id": f"p{p:03d}", "epoch": 0, "metadata": meta})
        cand.append({"item_id": iid, "score": c, "cluster_id": f"p{p:03d}", "epoch": 0, "metadata": meta})

with open("baseline.json", "w") as f:
    json.dump(frame("rc-2026-11-01-base", "acme-llm-7b-v1.3", base), f, indent=1)
    f.write("\n")
with open("candidate.json", "w") as f:
    json.dump(frame("rc-2026-11-20-rc2", "acme-llm-7b-v1.4-rc2", cand), f, indent=1)
    f.write("\n")
