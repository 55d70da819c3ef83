"""Inline SVG plots for the HTML report: no library, no external resource; every label goes through html.escape."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

import numpy as np

from evalkit.numbers import fmt_p, fmt_value
from schemas.report import Comparison, ComparisonReport

PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]
_LABEL_W = 150
_W = 680


def color(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def _t(s: object) -> str:
    return escape(str(s), quote=True)


def _scale(lo: float, hi: float, x0: float, x1: float):  # type: ignore[no-untyped-def]
    span = (hi - lo) or 1.0
    return lambda v: x0 + (v - lo) / span * (x1 - x0)


def _axis(sx, ticks: Sequence[float], y: float, labels: Sequence[str] | None = None,  # type: ignore[no-untyped-def]
          ends: tuple[float, float] | None = None) -> list[str]:
    lo, hi = ends or (ticks[0], ticks[-1])
    out = [f'<line class="axis" x1="{sx(lo):.1f}" x2="{sx(hi):.1f}" y1="{y}" y2="{y}"/>']
    for i, t in enumerate(ticks):
        label = labels[i] if labels else f"{t:g}"
        out.append(f'<line class="grid" x1="{sx(t):.1f}" x2="{sx(t):.1f}" y1="0" y2="{y}"/>')
        out.append(f'<text class="tick" x="{sx(t):.1f}" y="{y + 14}" text-anchor="middle">{_t(label)}</text>')
    return out


def _svg(width: int, height: int, body: list[str], title: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="plot" viewBox="0 0 {width} {height}" width="{width}" '
            f'height="{height}" role="img" aria-label="{_t(title)}">' + "".join(body) + "</svg>")


def means_plot(report: ComparisonReport) -> str:
    """Each criterion's mean per model with its CI bar."""
    cols = [c.criterion for c in report.models[0].criteria]
    row_h, per = 14, len(report.models)
    height = len(cols) * (per * row_h + 10) + 24
    sx = _scale(0.0, 1.0, _LABEL_W, _W - 20)
    body = _axis(sx, [0, 0.25, 0.5, 0.75, 1.0], height - 22)
    y = 8.0
    for col in cols:
        body.append(f'<text class="label" x="{_LABEL_W - 8}" y="{y + per * row_h / 2 + 4:.1f}" text-anchor="end">{_t(col)}</text>')
        for i, m in enumerate(report.models):
            st = m.stats(col)
            cy = y + i * row_h + row_h / 2
            if st is None or st.mean.estimate is None:
                continue
            lo, hi, est = st.mean.low, st.mean.high, st.mean.estimate
            tip = f"{m.model} · {col}: {fmt_value(est)} [{fmt_value(lo)}, {fmt_value(hi)}], n={st.mean.n}"
            body.append(f'<g><title>{_t(tip)}</title>')
            if lo is not None and hi is not None:
                body.append(f'<line x1="{sx(max(lo, 0)):.1f}" x2="{sx(min(hi, 1)):.1f}" y1="{cy:.1f}" y2="{cy:.1f}" '
                            f'stroke="{color(i)}" stroke-width="2"/>')
            body.append(f'<circle cx="{sx(min(max(est, 0), 1)):.1f}" cy="{cy:.1f}" r="4" fill="{color(i)}"/></g>')
        y += per * row_h + 10
    return _svg(_W, int(height), body, "means with confidence intervals")


def forest_plot(report: ComparisonReport, comp: Comparison) -> str:
    """Paired delta per criterion with its CI; a line at 0; significant deltas coloured."""
    rows = comp.criteria
    bound = max([0.02, *(abs(v) for d in rows for v in (d.delta.low, d.delta.high, d.delta.estimate) if v is not None)]) * 1.15
    row_h = 22
    height = len(rows) * row_h + 30
    sx = _scale(-bound, bound, _LABEL_W, _W - 20)
    step = _nice_step(bound)
    ticks = [k * step for k in range(-int(bound / step), int(bound / step) + 1)]
    body = _axis(sx, ticks, height - 22, [f"{t:+.2f}" if t else "0" for t in ticks], ends=(-bound, bound))
    body.append(f'<line class="zero" x1="{sx(0):.1f}" x2="{sx(0):.1f}" y1="0" y2="{height - 22}"/>')
    for k, d in enumerate(rows):
        cy = 6 + k * row_h + row_h / 2
        body.append(f'<text class="label" x="{_LABEL_W - 8}" y="{cy + 4:.1f}" text-anchor="end">{_t(d.criterion)}</text>')
        est, lo, hi = d.delta.estimate, d.delta.low, d.delta.high
        if est is None:
            continue
        fill = ("#2ca02c" if est > 0 else "#d62728") if d.significant else "#777"
        tip = f"{comp.candidate} - {comp.baseline} · {d.criterion}: {fmt_value(est, True)} [{fmt_value(lo, True)}, {fmt_value(hi, True)}], Holm p={fmt_p(d.p_holm)}"
        body.append(f"<g><title>{_t(tip)}</title>")
        if lo is not None and hi is not None:
            body.append(f'<line x1="{sx(lo):.1f}" x2="{sx(hi):.1f}" y1="{cy:.1f}" y2="{cy:.1f}" stroke="{fill}" stroke-width="2"/>')
        body.append(f'<rect x="{sx(est) - 4:.1f}" y="{cy - 4:.1f}" width="8" height="8" fill="{fill}"/></g>')
    return _svg(_W, int(height), body, f"delta forest plot {comp.candidate} vs {comp.baseline}")


def _nice_step(bound: float) -> float:
    raw = bound / 3
    mag = 10 ** math.floor(math.log10(raw))
    return next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)


def histograms(column: str, values: dict[str, np.ndarray], bins: int = 10) -> str:
    """Share of scored examples per score bin, one bar per model in each bin."""
    w, h, pad = 220, 120, 18
    edges = np.linspace(0, 1, bins + 1)
    counts = {}
    for name, v in values.items():
        f = v[np.isfinite(v)]
        c, _ = np.histogram(np.clip(f, 0, 1), bins=edges)
        counts[name] = c / max(f.size, 1)
    top = max([0.05, *(float(c.max()) for c in counts.values())])
    bw = (w - 2 * pad) / bins / max(len(values), 1)
    body = [f'<text class="label" x="{pad}" y="12">{_t(column)}</text>',
            f'<line class="axis" x1="{pad}" x2="{w - pad}" y1="{h - pad}" y2="{h - pad}"/>',
            f'<text class="tick" x="{pad}" y="{h - 4}">0</text><text class="tick" x="{w - pad}" y="{h - 4}" text-anchor="end">1</text>']
    for i, (name, share) in enumerate(counts.items()):
        for b in range(bins):
            bh = share[b] / top * (h - pad - 20)
            x = pad + b * (w - 2 * pad) / bins + i * bw
            tip = f"{name} · {column} in [{edges[b]:.1f}, {edges[b + 1]:.1f}]: {share[b]:.1%}"
            body.append(f'<rect x="{x:.1f}" y="{h - pad - bh:.1f}" width="{max(bw - 1, 1):.1f}" height="{bh:.1f}" '
                        f'fill="{color(i)}"><title>{_t(tip)}</title></rect>')
    return _svg(w, h, body, f"distribution of {column}")


def length_scatter(lengths: dict[str, np.ndarray], totals: dict[str, np.ndarray], rhos: dict[str, float | None]) -> str:
    """Answer length (log scale) against the total, per model."""
    h = 300
    all_len = np.concatenate(list(lengths.values()))
    hi = math.log10(max(float(all_len.max()), 10) + 1)
    lo = 0.0
    sx = _scale(lo, hi, 50, _W - 20)
    sy = _scale(0.0, 1.0, h - 30, 10)
    ticks = [t for t in (0, 1, 2, 3, 4, 5) if t <= hi]
    body = _axis(sx, ticks, h - 30, [f"{10 ** t:,}" for t in ticks])
    for v in (0, 0.5, 1):
        body.append(f'<text class="tick" x="44" y="{sy(v) + 4:.1f}" text-anchor="end">{v:g}</text>')
    body.append(f'<text class="tick" x="{_W - 20}" y="{h - 2}" text-anchor="end">answer length (chars, log scale)</text>')
    for i, (name, ln) in enumerate(lengths.items()):
        tot = totals[name]
        pts = [f'<circle cx="{sx(math.log10(x + 1)):.1f}" cy="{sy(y):.1f}" r="2"/>' for x, y in zip(ln, tot, strict=True) if math.isfinite(y)]
        rho = rhos.get(name)
        label = f"{name}: Spearman {rho:+.2f}" if rho is not None else name
        body.append(f'<g fill="{color(i)}" fill-opacity="0.45"><title>{_t(label)}</title>{"".join(pts)}</g>')
        body.append(f'<text class="legend" x="60" y="{20 + 14 * i}" fill="{color(i)}">{_t(label)}</text>')
    return _svg(_W, h, body, "answer length against total score")
