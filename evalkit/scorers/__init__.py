"""Scorers: SCORERS maps each name to its class. Importing this package registers them all."""

from __future__ import annotations

from evalkit.scorers import embedding, judge, numeric, overlap, structure, text
from evalkit.scorers.base import SCORERS, Scorer, ScorerParams, register, scored, unscored

__all__ = ["SCORERS", "Scorer", "ScorerParams", "embedding", "judge", "numeric", "overlap", "register", "scored", "structure", "text", "unscored"]
