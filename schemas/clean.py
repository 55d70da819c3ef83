"""Configuration and output rows of `curate clean`: one model per step, CleanConfig over them, manifest and rejects rows.

A YAML config is CleanConfig with any field left out taking its default, e.g.

    near_duplicate:
      scope: prompt
    pii:
      action: drop
    language:
      enabled: true
      languages: [en]
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Scope = Literal["prompt", "response", "record"]


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NearDupParams(_Config):
    """MinHash LSH over word shingles; a candidate pair counts only when rapidfuzz confirms it.

    Defaults suit short instruction data: 2-word shingles keep a 1–3 word edit of a 20-word prompt above the
    LSH threshold, and the rapidfuzz check keeps precision high.
    """

    num_perm: int = Field(default=128, ge=2, le=1024, description="MinHash permutations (signature length).")
    bands: int = Field(default=32, ge=1, description="LSH bands; bands × rows must not exceed num_perm.")
    rows: int = Field(default=4, ge=1, description="Signature rows per LSH band.")
    shingle_size: int = Field(default=2, ge=1, le=16, description="Words per shingle (texts are lowercased, punctuation dropped).")
    verify_threshold: float = Field(
        default=0.85,
        ge=0.0,
        le=1.0,
        description="rapidfuzz ratio (0–1) a candidate pair needs on the normalized texts to count as a near-duplicate.",
    )
    seed: int = Field(default=1, ge=0, description="Seed of the permutations; the same seed gives the same clusters.")
    max_bucket_size: int = Field(
        default=200,
        ge=2,
        description="In an LSH bucket larger than this, each member is compared with the bucket's first max_bucket_size members only, so boilerplate cannot make the run quadratic.",
    )

    @model_validator(mode="after")
    def _bands_fit(self) -> NearDupParams:
        if self.bands * self.rows > self.num_perm:
            raise ValueError(f"bands × rows = {self.bands * self.rows} exceeds num_perm = {self.num_perm}")
        return self

    @property
    def lsh_threshold(self) -> float:
        """Jaccard similarity at which a pair becomes an LSH candidate with probability about one half: (1/b)^(1/r)."""
        return float((1.0 / self.bands) ** (1.0 / self.rows))

    def candidate_probability(self, jaccard: float) -> float:
        """Probability that a pair with this Jaccard similarity shares at least one LSH bucket."""
        return float(1.0 - (1.0 - jaccard**self.rows) ** self.bands)


__all__ = ["NearDupParams", "Scope"]
