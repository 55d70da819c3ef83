"""Near-duplicate detection: curatekit's numpy MinHash LSH against datasketch MinHashLSH, same process, same settings.

1. Builds a planted set from real text in ../shared/data (GSM8K, AlpacaEval, Self-Instruct): each planted copy has a
   known original and one kind of edit: formatting only (case, spacing, punctuation), 1–3 word edits in the prompt,
   or 1–3 word edits in the response only. Filler rows (six short sentences of different real rows) bring the
   set to a size where throughput means something.
2. Runs curate.dedup.near_duplicate_clusters and a datasketch pipeline with the same word shingles, permutations,
   bands × rows, and the same rapidfuzz verification and union-find.
3. Prints throughput, precision and recall on the planted pairs, and peak RSS above the baseline for both.

    python bench/dedup.py                   # 20,000 filler rows
    python bench/dedup.py --filler 2000     # quicker
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import threading
import time
from collections.abc import Callable
from itertools import combinations
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
DATA = REPO.parent / "shared" / "data"

from curate.dedup import NearDupParams, near_duplicate_clusters  # noqa: E402
from curate.dedup.unionfind import UnionFind  # noqa: E402

_WORD = re.compile(r"\w+")


# --------------------------------------------------------------------------------------------------- data


def real_records() -> list[tuple[str, str]]:
    """(prompt, response) pairs from the shared data, each prompt once."""
    out: list[tuple[str, str]] = []
    for line in (DATA / "gsm8k_test.jsonl").read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        out.append((r["question"], r["answer"]))
    for r in json.loads((DATA / "alpaca_eval_alpaca-7b_outputs.json").read_text(encoding="utf-8")):
        out.append((r["instruction"], r["output"]))
    for name in ("self_instruct_seed_tasks.jsonl", "self_instruct_user_oriented_eval.jsonl"):
        for line in (DATA / name).read_text(encoding="utf-8").splitlines():
            r = json.loads(line)
            inst = r["instances"][0]
            out.append((f"{r['instruction']}\n{inst['input']}".strip(), inst["output"]))
    seen: set[str] = set()
    unique = []
    for p, a in out:
        key = " ".join(_WORD.findall(p.lower()))
        if key not in seen and len(_WORD.findall(p + " " + a)) >= 12:
            seen.add(key)
            unique.append((p, a))
    return unique


def _edit_words(text: str, rng: random.Random, edits: int, vocab: list[str]) -> str:
    words = text.split(" ")
    for _ in range(edits):
        i = rng.randrange(len(words))
        op = rng.choice(("replace", "delete", "insert"))
        if op == "replace" or len(words) < 3:
            words[i] = rng.choice(vocab)
        elif op == "delete":
            del words[i]
        else:
            words.insert(i, rng.choice(vocab))
    return " ".join(words)


def _reformat(text: str, rng: random.Random) -> str:
    text = text.upper() if rng.random() < 0.5 else text.lower()
    text = re.sub(r"[,.;:!?]", "", text) if rng.random() < 0.5 else text.replace(" ", "  ")
    return "  " + text.replace("\n", " \n\n") + " "


def build(filler: int, plant: int, seed: int) -> tuple[list[str], list[int], list[str]]:
    """Texts, the index of each text's original (itself for non-copies), and the edit kind per text."""
    rng = random.Random(seed)
    records = real_records()
    vocab = [w for p, a in records[:500] for w in (p + " " + a).split()]
    texts = [f"{p}\n{a}" for p, a in records]
    origin = list(range(len(texts)))
    kinds = ["original"] * len(texts)
    # filler: six short sentences (4–25 words) of different real rows, so no filler repeats a long stretch of any row
    sentences = [s.strip() for t in texts for s in re.split(r"(?<=[.?!])\s+|\n+", t) if 4 <= len(s.split()) <= 25]
    for _ in range(filler):
        texts.append(" ".join(rng.sample(sentences, 6)))
        origin.append(len(origin))
        kinds.append("filler")
    for n in range(plant):
        i = rng.randrange(len(records))
        p, a = records[i]
        kind = ("formatting", "word_edits", "response_edits")[n % 3]
        if kind == "formatting":
            text = _reformat(f"{p}\n{a}", rng)
        elif kind == "word_edits":
            text = f"{_edit_words(p, rng, rng.randint(1, 3), vocab)}\n{a}"
        else:
            text = f"{p}\n{_edit_words(a, rng, rng.randint(1, 3), vocab)}"
        texts.append(text)
        origin.append(i)
        kinds.append(kind)
    order = list(range(len(texts)))
    rng.shuffle(order)  # originals do not all come first
    remap = {old: new for new, old in enumerate(order)}
    return [texts[o] for o in order], [remap[origin[o]] for o in order], [kinds[o] for o in order]


# --------------------------------------------------------------------------------------------------- methods


def datasketch_clusters(texts: list[str], p: NearDupParams) -> list[int]:
    """The same pipeline with datasketch: Python shingles, MinHash.update_batch, MinHashLSH(params=(b, r)), query each."""
    from datasketch import MinHash, MinHashLSH
    from rapidfuzz import fuzz

    lsh = MinHashLSH(num_perm=p.num_perm, params=(p.bands, p.rows))
    pairs: list[tuple[int, int]] = []
    normalized = []
    for i, text in enumerate(texts):
        words = _WORD.findall(text.lower())
        normalized.append(" ".join(words))
        k = p.shingle_size
        shingles = {" ".join(words[j : j + k]) for j in range(max(len(words) - k + 1, 1))} if words else set()
        if not shingles:
            continue
        m = MinHash(num_perm=p.num_perm, seed=p.seed)
        m.update_batch([s.encode("utf-8") for s in shingles])
        for j in lsh.query(m):
            if fuzz.ratio(normalized[i], normalized[j], score_cutoff=p.verify_threshold * 100) >= p.verify_threshold * 100:
                pairs.append((j, i))
        lsh.insert(i, m)
    uf = UnionFind(len(texts))
    for a, b in pairs:
        uf.union(a, b)
    return uf.roots()


# --------------------------------------------------------------------------------------------------- measuring


def _rss_mib() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def measure(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    """(result, seconds, peak RSS above the starting RSS in MiB), sampling RSS every 5 ms."""
    base = _rss_mib()
    peak = [base]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _rss_mib())
            time.sleep(0.005)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    done.set()
    t.join()
    return result, seconds, max(peak[0], _rss_mib()) - base


def _same_group_pairs(group_of: list[int]) -> set[tuple[int, int]]:
    """Every pair of rows (i < j) that share a group id."""
    groups: dict[int, list[int]] = {}
    for i, group in enumerate(group_of):
        groups.setdefault(group, []).append(i)
    return {pair for members in groups.values() for pair in combinations(members, 2)}


def score(labels: list[int], origin: list[int]) -> tuple[float, float, int, int]:
    """Precision and recall over pairs in the same cluster; truth = each planted copy with its original (and co-copies)."""
    truth = _same_group_pairs(origin)
    found = _same_group_pairs(labels)
    tp = len(found & truth)
    precision = tp / len(found) if found else 1.0
    recall = tp / len(truth) if truth else 1.0
    return precision, recall, len(found), len(truth)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--filler", type=int, default=20_000, help="filler rows (shuffled sentences of real rows)")
    ap.add_argument("--plant", type=int, default=1_500, help="planted near-duplicate copies")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--num-perm", type=int, default=None)
    ap.add_argument("--bands", type=int, default=None)
    ap.add_argument("--rows", type=int, default=None)
    ap.add_argument("--shingle-size", type=int, default=None)
    ap.add_argument("--skip-datasketch", action="store_true")
    args = ap.parse_args()
    overrides = {k: v for k, v in {"num_perm": args.num_perm, "bands": args.bands, "rows": args.rows, "shingle_size": args.shingle_size}.items() if v}
    params = NearDupParams(**overrides)
    console = Console()
    texts, origin, kinds = build(args.filler, args.plant, args.seed)
    console.print(
        f"{len(texts):,} texts ({kinds.count('original'):,} real, {kinds.count('filler'):,} filler, {args.plant:,} planted copies: "
        f"{kinds.count('formatting')} formatting, {kinds.count('word_edits')} word edits, {kinds.count('response_edits')} response edits); "
        f"num_perm {params.num_perm}, bands×rows {params.bands}×{params.rows} (LSH threshold {params.lsh_threshold:.3f}), "
        f"{params.shingle_size}-word shingles, rapidfuzz ≥ {params.verify_threshold}"
    )
    rows = []
    ours, t_ours, mem_ours = measure(lambda: near_duplicate_clusters(texts, params))
    rows.append(("curatekit (numpy MinHash)", ours, t_ours, mem_ours))
    if not args.skip_datasketch:
        theirs, t_theirs, mem_theirs = measure(lambda: datasketch_clusters(texts, params))
        rows.append(("datasketch MinHashLSH", theirs, t_theirs, mem_theirs))
    table = Table(title="near-duplicate detection", title_justify="left")
    for col in ("method", "seconds", "texts/s", "precision", "recall", "pairs found", "peak RSS (MiB above start)"):
        table.add_column(col, justify="left" if col == "method" else "right")
    for name, labels, seconds, mem in rows:
        precision, recall, found, truth = score(labels, origin)
        table.add_row(name, f"{seconds:.2f}", f"{len(texts) / seconds:,.0f}", f"{precision:.4f}", f"{recall:.4f}", f"{found:,} / {truth:,} true", f"{mem:,.0f}")
    console.print(table)
    per_kind = Table(title="recall per edit kind (curatekit)", title_justify="left")
    for col in ("edit", "copies", "recall"):
        per_kind.add_column(col)
    for kind in ("formatting", "word_edits", "response_edits"):
        idx = [i for i, k in enumerate(kinds) if k == kind]
        hit = sum(1 for i in idx if ours[i] == ours[origin[i]])
        per_kind.add_row(kind, str(len(idx)), f"{hit / len(idx):.4f}" if idx else "-")
    console.print(per_kind)
    if len(rows) == 2:
        console.print(f"speed-up: {rows[1][2] / rows[0][2]:.1f}× datasketch's time")


if __name__ == "__main__":
    main()
