"""The CI gate: small conditions on a ComparisonReport, parsed by hand (never eval) and checked into GateChecks.

    condition := metric OP NUMBER            e.g.  total < 0.7      delta(total) < -0.02     p(format) > 0.05
    metric    := CRITERION                   (same as mean(CRITERION))
               | FUNC "(" CRITERION ["," MODEL] ")"
    OP        := <  <=  >  >=  ==  !=
    NUMBER    := a decimal number, or a percentage such as 5%

Model metrics (mean, low, high, pass_rate, unscored_rate) are checked on every candidate, or on MODEL when
given (the baseline included); comparison metrics (delta, delta_low, delta_high, p, p_sign, win_rate,
loss_rate) on every candidate-vs-baseline comparison, or on the one whose candidate is MODEL. A condition
*fails the gate* when it holds for any of them, or when its metric is not available (nothing scored).
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from evalkit.errors import EvalkitError
from schemas.report import TOTAL, Comparison, ComparisonReport, CriterionDelta, CriterionStats, GateCheck

__all__ = ["Condition", "GateSyntaxError", "check_gate", "parse_condition", "validate_condition"]


class GateSyntaxError(EvalkitError):
    """A --fail-if condition that cannot be parsed or names something the report lacks (the CLI: exit 2)."""


OPS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq, "!=": operator.ne,
}


def _ci_low(c: CriterionStats) -> float | None:
    return c.mean.low


def _ci_high(c: CriterionStats) -> float | None:
    return c.mean.high


def _rate(part: int, d: CriterionDelta) -> float | None:
    n = d.wins + d.ties + d.losses
    return part / n if n else None


MODEL_METRICS: dict[str, Callable[[CriterionStats], float | None]] = {
    "mean": lambda c: c.mean.estimate,
    "low": _ci_low,
    "high": _ci_high,
    "pass_rate": lambda c: c.pass_rate,
    "unscored_rate": lambda c: c.unscored_rate,
}
COMPARISON_METRICS: dict[str, Callable[[CriterionDelta], float | None]] = {
    "delta": lambda d: d.delta.estimate,
    "delta_low": lambda d: d.delta.low,
    "delta_high": lambda d: d.delta.high,
    "p": lambda d: d.p_holm,
    "p_sign": lambda d: d.p_sign,
    "win_rate": lambda d: _rate(d.wins, d),
    "loss_rate": lambda d: _rate(d.losses, d),
}

_TOKEN = re.compile(
    r"\s*(?:(?P<op><=|>=|==|!=|<|>)|(?P<punct>[(),])|(?P<quoted>'[^']*'|\"[^\"]*\")|(?P<word>[^\s(),<>=!'\"]+))"
)
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?%?")
_FORMS = "expected e.g. 'total < 0.7', 'mean(format) < 0.9', 'delta(total) < -0.02' or 'p(total, tuned) > 0.05'"


@dataclass(frozen=True, slots=True)
class Condition:
    text: str
    func: str
    criterion: str
    model: str | None
    op: str
    threshold: float

    @property
    def is_comparison(self) -> bool:
        return self.func in COMPARISON_METRICS

    @property
    def label(self) -> str:
        return f"{self.func}({self.criterion})"


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise GateSyntaxError(f"cannot read {text!r} at {text[pos:]!r}; {_FORMS}")
        kind = m.lastgroup or ""
        value = m.group(kind)
        out.append((kind, value[1:-1] if kind == "quoted" else value))
        pos = m.end()
    return out


def parse_condition(text: str) -> Condition:
    """Parse one --fail-if condition; GateSyntaxError says what is wrong and shows the accepted forms."""
    toks = _tokens(text)

    def want(i: int, kinds: Iterable[str], what: str) -> str:
        if i >= len(toks) or toks[i][0] not in kinds:
            got = repr(toks[i][1]) if i < len(toks) else "the end"
            raise GateSyntaxError(f"in {text!r}: expected {what}, got {got}; {_FORMS}")
        return toks[i][1]

    head = want(0, ("word", "quoted"), "a criterion or a function such as delta(...)")
    i = 1
    func, criterion, model = "mean", head, None
    if i < len(toks) and toks[i] == ("punct", "("):
        func = head
        if func not in MODEL_METRICS and func not in COMPARISON_METRICS:
            known = ", ".join([*MODEL_METRICS, *COMPARISON_METRICS])
            raise GateSyntaxError(f"in {text!r}: unknown function {func!r}; known: {known}")
        criterion = want(2, ("word", "quoted"), "a criterion name")
        i = 3
        if i < len(toks) and toks[i] == ("punct", ","):
            model = want(4, ("word", "quoted"), "a model name")
            i = 5
        if want(i, ("punct",), "')'") != ")":
            raise GateSyntaxError(f"in {text!r}: expected ')'; {_FORMS}")
        i += 1
    op = want(i, ("op",), "a comparison operator (< <= > >= == !=)")
    raw = want(i + 1, ("word",), "a number")
    if not _NUMBER.fullmatch(raw):
        raise GateSyntaxError(f"in {text!r}: {raw!r} is not a number; {_FORMS}")
    threshold = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
    if i + 2 != len(toks):
        raise GateSyntaxError(f"in {text!r}: unexpected {toks[i + 2][1]!r} after the number; one condition per --fail-if")
    return Condition(text=text.strip(), func=func, criterion=criterion, model=model, op=op, threshold=threshold)


def validate_condition(cond: Condition, criteria: list[str], models: list[str], baseline: str) -> None:
    """Names must exist in the report: a typo in a CI gate must not silently pass."""
    names = [*criteria, TOTAL]
    if cond.criterion not in names:
        raise GateSyntaxError(f"in {cond.text!r}: unknown criterion {cond.criterion!r}; the report has: {', '.join(names)}")
    if cond.model is not None:
        if cond.model not in models:
            raise GateSyntaxError(f"in {cond.text!r}: unknown model {cond.model!r}; the report has: {', '.join(models)}")
        if cond.is_comparison and cond.model == baseline:
            raise GateSyntaxError(f"in {cond.text!r}: {cond.model!r} is the baseline; {cond.func}() needs a candidate model")


def _fmt(x: float | None, signed: bool = False) -> str:
    if x is None or not math.isfinite(x):
        return "n/a"
    return f"{x:+.4g}" if signed else f"{x:.4g}"


def _evaluate(cond: Condition, report: ComparisonReport) -> GateCheck:
    details: list[str] = []
    failed = False
    compare = OPS[cond.op]
    if cond.is_comparison:
        comps: list[Comparison] = [c for c in report.comparisons if cond.model in (None, c.candidate)]
        for comp in comps:
            d = comp.delta(cond.criterion)
            value = COMPARISON_METRICS[cond.func](d) if d else None
            hit = value is None or compare(value, cond.threshold)
            failed |= hit
            signed = cond.func.startswith("delta")
            ci = f" [{_fmt(d.delta.low, True)}, {_fmt(d.delta.high, True)}]" if d and cond.func == "delta" else ""
            details.append(f"{comp.candidate} vs {comp.baseline}: {cond.label} = {_fmt(value, signed)}{ci}{' <- fails' if hit else ''}")
    else:
        targets = [cond.model] if cond.model else [m.model for m in report.models if m.model != report.baseline]
        for name in targets:
            summary = report.model(name)
            c = summary.stats(cond.criterion) if summary else None
            value = MODEL_METRICS[cond.func](c) if c else None
            hit = value is None or compare(value, cond.threshold)
            failed |= hit
            details.append(f"{name}: {cond.label} = {_fmt(value)}{' <- fails' if hit else ''}")
    return GateCheck(condition=f"fail-if {cond.text}", failed=failed, details=details)


def _significant_improvement(criterion: str, report: ComparisonReport) -> GateCheck:
    details = []
    failed = False
    for comp in report.comparisons:
        d = comp.delta(criterion)
        ok = d is not None and d.delta.estimate is not None and d.delta.estimate > 0 and d.significant
        failed |= not ok
        est = _fmt(d.delta.estimate, True) if d else "n/a"
        p = _fmt(d.p_holm) if d else "n/a"
        verdict = "" if ok else " <- not a significant improvement"
        details.append(f"{comp.candidate} vs {comp.baseline}: delta({criterion}) = {est}, Holm p = {p}{verdict}")
    return GateCheck(condition=f"require-significant-improvement {criterion}", failed=failed, details=details)


def _unscored(limit: float, report: ComparisonReport) -> GateCheck:
    details = []
    for m in report.models:
        for c in m.criteria:
            if c.criterion != TOTAL and c.unscored_rate > limit:
                details.append(f"{m.model}: {c.criterion} unscored {c.unscored}/{c.scored + c.unscored} = {c.unscored_rate:.1%} > {limit:.1%}")
    return GateCheck(condition=f"max-unscored-rate {limit:g}", failed=bool(details), details=details or ["every criterion within the limit"])


def check_gate(
    report: ComparisonReport,
    conditions: Iterable[Condition] = (),
    require_significant: Iterable[str] = (),
    max_unscored_rate: float | None = None,
) -> list[GateCheck]:
    """Evaluate every gate condition; raises GateSyntaxError for names the report does not have."""
    models = [m.model for m in report.models]
    checks = []
    for cond in conditions:
        validate_condition(cond, report.criteria, models, report.baseline)
        checks.append(_evaluate(cond, report))
    for criterion in require_significant:
        if criterion not in [*report.criteria, TOTAL]:
            raise GateSyntaxError(f"unknown criterion {criterion!r} for --require-significant-improvement; the report has: "
                                  f"{', '.join([*report.criteria, TOTAL])}")
        checks.append(_significant_improvement(criterion, report))
    if max_unscored_rate is not None:
        checks.append(_unscored(max_unscored_rate, report))
    return checks
