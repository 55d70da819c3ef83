"""embedding_similarity: cosine of all-MiniLM-L6-v2 embeddings of output and reference (curate.embeddings)."""

from __future__ import annotations

from pydantic import Field

from evalkit.scorers.base import Scorer, ScorerParams, register, scored, unscored
from schemas.eval import CriterionScore, Prediction


class EmbeddingParams(ScorerParams):
    batch_size: int = Field(default=64, ge=1, description="Texts per embedding batch.")


@register
class EmbeddingSimilarity(Scorer[EmbeddingParams]):
    name = "embedding_similarity"
    summary = "Cosine similarity of output and reference embeddings (all-MiniLM-L6-v2), negatives clipped to 0."
    Params = EmbeddingParams

    def score(self, example: Prediction, output: str) -> CriterionScore:
        return self.score_batch([example.model_copy(update={"output": output})])[0]

    def score_batch(self, examples: list[Prediction]) -> list[CriterionScore]:
        from curate.embeddings import embed  # torch loads only when this scorer runs

        todo = [i for i, ex in enumerate(examples) if ex.reference is not None and ex.reference.strip()]
        results = [unscored("no_reference", "the example has no reference to compare with") for _ in examples]
        if not todo:
            return results
        outs = embed([examples[i].output for i in todo], batch_size=self.params.batch_size)
        refs = embed([examples[i].reference or "" for i in todo], batch_size=self.params.batch_size)
        sims = (outs * refs).sum(axis=1)
        for i, sim in zip(todo, sims.tolist(), strict=True):
            results[i] = scored(max(0.0, sim), f"cosine {sim:.4f}")
        return results
