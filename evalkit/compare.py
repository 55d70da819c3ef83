"""Compare models scored on the same examples: summaries, paired deltas, W/T/L, flips, breakdowns, bias warnings.

    compare_files(paths, options) -> (ComparisonReport, Aligned)
    build_report(aligned, options) -> ComparisonReport

Statistics live in evalkit.stats; this module decides what is compared with what and names the results.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np

from evalkit.align import Aligned, align, load_scores
from evalkit.errors import InputError
from evalkit.stats import MeanCI, bootstrap_mean_ci, holm, permutation_test, rng_for, sign_test, spearman
from schemas.report import (
    TOTAL,
    Breakdown,
    Comparison,
    ComparisonReport,
    CriterionDelta,
    CriterionStats,
    ExampleDiff,
    GroupRow,
    Interval,
    ModelSummary,
    ReportOptions,
    ReportWarning,
)

__all__ = ["build_report", "compare_files"]

_EPS = 1e-12  # float noise in (candidate - baseline) is not a win or a loss


def compare_files(paths: Sequence[str], options: ReportOptions) -> tuple[ComparisonReport, Aligned]:
    aligned = align(load_scores(paths), baseline=options.baseline, strict=options.strict)
    return build_report(aligned, options), aligned


def _num(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def _interval(ci: MeanCI, j: int) -> Interval:
    return Interval(estimate=_num(ci.mean[j]), low=_num(ci.low[j]), high=_num(ci.high[j]), n=int(ci.n[j]))


def _ci(values: np.ndarray, options: ReportOptions, *key: str) -> MeanCI:
    return bootstrap_mean_ci(
        values, rng=rng_for(options.seed, *key), resamples=options.resamples, level=options.level, method=options.ci_method
    )


def _unscored_reasons(aligned: Aligned, model: str, criterion: str) -> dict[str, int]:
    reasons: Counter[str] = Counter()
    for row in aligned.rows[model]:
        if criterion == TOTAL:
            if row.total is None:
                reasons["no_criterion_scored"] += 1
            continue
        score = row.scores.get(criterion)
        if score is None:
            reasons["criterion_missing"] += 1
        elif score.value is None:
            reasons[score.unscored_reason or "unspecified"] += 1
    return dict(reasons.most_common())


def _model_summary(aligned: Aligned, model: str, options: ReportOptions) -> ModelSummary:
    values = aligned.scores(model)
    passed = aligned.passed(model)
    lengths = aligned.lengths(model)
    ci = _ci(values, options, "mean", model)
    stats = []
    for j, name in enumerate(aligned.columns):
        scored = int(ci.n[j])
        pass_rate = None
        judge = False
        if name != TOTAL:
            p = passed[:, j]
            pass_rate = _num(float(np.nanmean(p))) if np.isfinite(p).any() else None
            judge = any(r.scores.get(name) is not None and r.scores[name].raw is not None for r in aligned.rows[model])
        stats.append(
            CriterionStats(
                criterion=name,
                mean=_interval(ci, j),
                scored=scored,
                unscored=len(aligned.ids) - scored,
                unscored_reasons=_unscored_reasons(aligned, model, name),
                pass_rate=pass_rate,
                judge_based=judge,
                length_corr=_num(spearman(lengths, values[:, j])),
            )
        )
    return ModelSummary(
        model=model,
        files=aligned.files[model],
        examples=len(aligned.ids),
        output_chars_mean=float(lengths.mean()),
        output_chars_median=float(np.median(lengths)),
        criteria=stats,
    )


def _example_diff(aligned: Aligned, i: int, baseline: str, candidate: str, b: float, c: float) -> ExampleDiff:
    base_row = aligned.rows[baseline][i]
    cand_row = aligned.rows[candidate][i]
    return ExampleDiff(
        id=base_row.id,
        category=base_row.category,
        prompt=base_row.prompt,
        reference=base_row.reference,
        baseline_output=base_row.output,
        candidate_output=cand_row.output,
        baseline_total=b,
        candidate_total=c,
        delta=c - b,
    )


def _comparison(aligned: Aligned, baseline: str, candidate: str, options: ReportOptions) -> Comparison:
    base, cand = aligned.scores(baseline), aligned.scores(candidate)
    diffs = cand - base
    ci = _ci(diffs, options, "delta", baseline, candidate)
    p_perm = permutation_test(diffs, rng=rng_for(options.seed, "perm", baseline, candidate), resamples=options.permutations)
    p_holm = holm(p_perm)
    finite = np.isfinite(diffs)
    wins = ((diffs > options.tie_margin + _EPS) & finite).sum(axis=0)
    losses = ((diffs < -options.tie_margin - _EPS) & finite).sum(axis=0)
    ties = finite.sum(axis=0) - wins - losses
    pass_b, pass_c = aligned.passed(baseline), aligned.passed(candidate)
    len_delta = aligned.lengths(candidate) - aligned.lengths(baseline)
    deltas = []
    for j, name in enumerate(aligned.columns):
        fixed = broke = 0
        if name != TOTAL:
            fixed = int(((pass_b[:, j] == 0) & (pass_c[:, j] == 1)).sum())
            broke = int(((pass_b[:, j] == 1) & (pass_c[:, j] == 0)).sum())
        ph = _num(p_holm[j])
        deltas.append(
            CriterionDelta(
                criterion=name,
                delta=_interval(ci, j),
                p_permutation=_num(p_perm[j]),
                p_sign=sign_test(int(wins[j]), int(losses[j])) if finite[:, j].any() else None,
                p_holm=ph,
                significant=ph is not None and ph < options.alpha,
                wins=int(wins[j]),
                ties=int(ties[j]),
                losses=int(losses[j]),
                fixed=fixed,
                broke=broke,
                length_delta_corr=_num(spearman(len_delta, diffs[:, j])),
            )
        )
    total_d = diffs[:, -1]
    order = np.argsort(np.where(np.isfinite(total_d), total_d, 0.0), kind="stable")
    worst = [int(i) for i in order if total_d[i] < -options.tie_margin - _EPS][: options.top]
    best = [int(i) for i in order[::-1] if total_d[i] > options.tie_margin + _EPS][: options.top]

    def diff(i: int) -> ExampleDiff:
        return _example_diff(aligned, i, baseline, candidate, float(base[i, -1]), float(cand[i, -1]))

    return Comparison(
        candidate=candidate,
        baseline=baseline,
        criteria=deltas,
        regressions=[diff(i) for i in worst],
        improvements=[diff(i) for i in best],
    )


def _breakdown(aligned: Aligned, field_name: str, options: ReportOptions) -> Breakdown:
    groups = aligned.group_of(field_name)
    if all(g is None for g in groups):
        raise InputError(f"--by {field_name}: no example has a value for {field_name!r}; "
                         "use a top-level field such as category, or a key of the rows' meta")
    totals = {m: aligned.scores(m)[:, -1] for m in aligned.models}
    baseline = aligned.models[0]
    rows = []
    for value in sorted({g for g in groups if g is not None}) + ([None] if None in groups else []):
        idx = np.array([i for i, g in enumerate(groups) if g == value])
        label = "(none)" if value is None else value
        # One bootstrap per group: the models' totals and the candidates' deltas are columns of one matrix.
        cands = aligned.models[1:]
        cols = [totals[m][idx] for m in aligned.models] + [totals[c][idx] - totals[baseline][idx] for c in cands]
        ci = _ci(np.column_stack(cols), options, "group", label)
        means = {m: _interval(ci, j) for j, m in enumerate(aligned.models)}
        deltas = {c: _interval(ci, len(aligned.models) + j) for j, c in enumerate(cands)}
        wtl: dict[str, tuple[int, int, int]] = {}
        for j, cand in enumerate(cands):
            d = cols[len(aligned.models) + j]
            f = d[np.isfinite(d)]
            w, losses = int((f > options.tie_margin + _EPS).sum()), int((f < -options.tie_margin - _EPS).sum())
            wtl[cand] = (w, f.size - w - losses, losses)
        rows.append(GroupRow(group=label, examples=int(idx.size), means=means, deltas=deltas, wtl=wtl))
    return Breakdown(field=field_name, groups=rows)


def _warnings(aligned: Aligned, models: list[ModelSummary], comparisons: list[Comparison], options: ReportOptions) -> list[ReportWarning]:
    out: list[ReportWarning] = []
    al = aligned.alignment
    for model, n in al.missing.items():
        if n:
            out.append(ReportWarning(code="missing_examples", model=model, value=n, message=(
                f"{model} lacks {n} example(s) that other files have (e.g. {', '.join(al.missing_ids.get(model, []))}); "
                f"compared on the {al.common} examples all models share")))
    if al.prompt_mismatch:
        out.append(ReportWarning(code="prompt_mismatch", value=al.prompt_mismatch, message=(
            f"{al.prompt_mismatch} example id(s) have different prompts in different files and were left out")))
    base = models[0]
    for summary in models[1:]:
        ratio = summary.output_chars_mean / base.output_chars_mean if base.output_chars_mean else math.inf
        if ratio >= options.length_ratio_warn or ratio <= 1 / options.length_ratio_warn:
            out.append(ReportWarning(code="length_ratio", model=summary.model, value=ratio, message=(
                f"{summary.model}'s answers are {ratio:.2f}x as long as {base.model}'s "
                f"({summary.output_chars_mean:,.0f} vs {base.output_chars_mean:,.0f} chars on average); "
                "judges and length-sensitive criteria may reward length rather than quality")))
    for summary in models:
        for c in summary.criteria:
            if c.judge_based and c.length_corr is not None and abs(c.length_corr) >= options.length_corr_warn:
                out.append(ReportWarning(code="length_tracks_score", model=summary.model, criterion=c.criterion, value=c.length_corr,
                                         message=f"judge-based {c.criterion} tracks answer length for {summary.model} "
                                                 f"(Spearman {c.length_corr:+.2f}); check it is not a verbosity bias"))
            if c.unscored and c.criterion != TOTAL:
                reasons = ", ".join(f"{k} {v}" for k, v in c.unscored_reasons.items())
                out.append(ReportWarning(code="unscored", model=summary.model, criterion=c.criterion, value=c.unscored_rate,
                                         message=f"{summary.model}: {c.unscored} of {c.scored + c.unscored} {c.criterion} scores "
                                                 f"are missing ({reasons}); excluded from the mean, not counted as 0"))
    judge = {c.criterion for s in models for c in s.criteria if c.judge_based}
    for comp in comparisons:
        for d in comp.criteria:
            r = d.length_delta_corr
            if d.criterion in judge and r is not None and abs(r) >= options.length_corr_warn:
                out.append(ReportWarning(code="length_tracks_score", model=comp.candidate, criterion=d.criterion, value=r, message=(
                    f"{comp.candidate} vs {comp.baseline}: the {d.criterion} delta tracks the length delta (Spearman {r:+.2f})")))
    return out


def build_report(aligned: Aligned, options: ReportOptions) -> ComparisonReport:
    models = [_model_summary(aligned, m, options) for m in aligned.models]
    baseline = aligned.models[0]
    comparisons = [_comparison(aligned, baseline, m, options) for m in aligned.models[1:]]
    return ComparisonReport(
        options=options.model_copy(update={"baseline": baseline}),
        rubric=aligned.rubric,
        rubric_hash=aligned.rubric_hash,
        criteria=aligned.criteria,
        alignment=aligned.alignment,
        models=models,
        comparisons=comparisons,
        breakdown=_breakdown(aligned, options.by, options) if options.by else None,
        warnings=_warnings(aligned, models, comparisons, options),
    )
