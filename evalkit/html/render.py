"""One self-contained HTML file: summary tables and SVG plots rendered here, the example table built by inline JS.

Safety, in layers:
- every piece of dataset or model text written into markup goes through html.escape;
- the per-example data travels as JSON in <script type="application/json">, with <, > and & written as \\u003c,
  \\u003e, \\u0026, so no string can close the block; the JS puts it on the page with textContent only;
- a Content-Security-Policy allows only the one inline <style> and <script> (by their sha256), no other
  script, no event handler, no network fetch of any kind (default-src 'none').
"""

from __future__ import annotations

import base64
import hashlib
import math
from html import escape
from importlib import resources
from string import Template
from typing import Any

import numpy as np
import orjson

from evalkit.align import Aligned
from evalkit.html import svg
from evalkit.numbers import fmt_p, fmt_value
from schemas.report import TOTAL, Comparison, ComparisonReport, Interval

__all__ = ["json_for_script", "render_html"]


def _t(s: object) -> str:
    return escape(str(s), quote=True)


def _asset(name: str) -> str:
    return resources.files("evalkit.html").joinpath(name).read_text(encoding="utf-8")


def _sha(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def json_for_script(obj: Any) -> str:
    """JSON that is safe inside a <script> element: no '<', '>' or '&' survives, so '</script>' cannot appear."""
    text = orjson.dumps(obj, option=orjson.OPT_SERIALIZE_NUMPY).decode()
    return (text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


_f = fmt_value


def _ci(iv: Interval, signed: bool = False) -> str:
    if iv.estimate is None:
        return "n/a"
    return f"{_f(iv.estimate, signed)} <span class=\"muted\">[{_f(iv.low, signed)}, {_f(iv.high, signed)}]</span>"


def _p(p: float | None) -> str:
    return escape(fmt_p(p))


def _legend(report: ComparisonReport) -> str:
    items = "".join(f'<span class="legend-item"><span class="swatch bg{i % 8}"></span>{_t(m.model)}</span>' for i, m in enumerate(report.models))
    return f'<div class="legend">{items}</div>'


def _header(report: ComparisonReport) -> str:
    o = report.options
    al = report.alignment
    names = " vs ".join(_t(m.model) for m in report.models)
    dropped = sum(al.missing.values()) + al.prompt_mismatch
    return (
        f"<h1>evalkit report: {names}</h1>"
        f'<p class="meta">rubric <b>{_t(report.rubric)}</b> <span class="code">{_t(report.rubric_hash[:12])}</span> · '
        f"{al.common:,} examples compared{f' ({dropped} left out, see warnings)' if dropped else ''} · baseline <b>{_t(report.baseline)}</b> · "
        f"{o.level:.0%} {'BCa' if o.ci_method == 'bca' else 'percentile'} bootstrap CIs, {o.resamples:,} resamples, seed {o.seed} · "
        f"paired sign-flip permutation test, Holm-adjusted across criteria; alpha {o.alpha:g}</p>"
    )


def _notices(report: ComparisonReport) -> str:
    parts = []
    if report.gate:
        parts.append("<h2>CI gate</h2>")
        for g in report.gate:
            cls = "fail" if g.failed else "pass"
            lines = "<br>".join(_t(d) for d in g.details)
            parts.append(f'<div class="{cls}"><b>{"FAILED" if g.failed else "passed"}</b> <span class="code">{_t(g.condition)}</span><br>{lines}</div>')
    if report.warnings:
        parts.append("<h2>Warnings</h2>")
        parts += [f'<div class="warn"><b>{_t(w.code)}</b>: {_t(w.message)}</div>' for w in report.warnings]
    return "".join(parts)


def _summary(report: ComparisonReport) -> str:
    cols = [c.criterion for c in report.models[0].criteria]
    head = "".join(f'<th class="num">{_t(m.model)}</th>' for m in report.models)
    rows = []
    for col in cols:
        cells = []
        for m in report.models:
            st = m.stats(col)
            if st is None:
                cells.append('<td class="num">n/a</td>')
                continue
            extra = f"<br><span class=\"muted\">{st.unscored} unscored</span>" if st.unscored else ""
            cells.append(f'<td class="num">{_ci(st.mean)}{extra}</td>')
        judge = any((m.stats(col) or m.criteria[0]).judge_based for m in report.models) and col != TOTAL
        label = f"<b>{_t(col)}</b>" if col == TOTAL else _t(col) + (' <span class="muted">(judge)</span>' if judge else "")
        rows.append(f"<tr><td>{label}</td>{''.join(cells)}</tr>")
    table = f'<table id="summary"><tr><th>criterion</th>{head}</tr>{"".join(rows)}</table>'
    lengths = "".join(f'<tr><td>{_t(m.model)}</td><td class="num">{m.output_chars_mean:,.0f}</td><td class="num">{m.output_chars_median:,.0f}</td></tr>'
                      for m in report.models)
    return (f"<h2>Means</h2>{table}<h3>Answer length (chars)</h3>"
            f'<table><tr><th>model</th><th class="num">mean</th><th class="num">median</th></tr>{lengths}</table>')


def _comparison(report: ComparisonReport, comp: Comparison) -> str:
    rows = []
    for d in comp.criteria:
        est = d.delta.estimate or 0.0
        cls = ("up" if est > 0 else "down") if d.significant else ""
        rows.append(
            f"<tr><td>{_t(d.criterion)}</td><td class=\"num {cls}\">{_ci(d.delta, True)}</td><td class=\"num {cls}\">{_p(d.p_holm)}"
            f"{' *' if d.significant else ''}</td><td class=\"num\">{_p(d.p_permutation)}</td><td class=\"num\">{_p(d.p_sign)}</td>"
            f"<td class=\"num\">{d.wins} / {d.ties} / {d.losses}</td><td class=\"num\">{d.fixed} / {d.broke}</td></tr>"
        )
    return (
        f"<h3>{_t(comp.candidate)} − {_t(comp.baseline)}</h3>"
        '<table class="comparison"><tr><th>criterion</th><th class="num">delta [CI]</th><th class="num">p (Holm)</th>'
        '<th class="num">p (perm.)</th><th class="num">p (sign)</th><th class="num">W / T / L</th><th class="num">fixed / broke</th></tr>'
        + "".join(rows) + "</table>" + svg.forest_plot(report, comp)
    )


def _plots(report: ComparisonReport, aligned: Aligned) -> str:
    names = aligned.models
    values = {m: aligned.scores(m) for m in names}
    hists = "".join(svg.histograms(col, {m: values[m][:, j] for m in names}) for j, col in enumerate(aligned.columns))
    rhos = {}
    for m in report.models:
        st = m.stats(TOTAL)
        rhos[m.model] = st.length_corr if st else None
    scatter = svg.length_scatter({m: aligned.lengths(m) for m in names}, {m: values[m][:, -1] for m in names}, rhos)
    return (f"<h2>Plots</h2>{_legend(report)}<h3>Means with {report.options.level:.0%} CIs</h3>{svg.means_plot(report)}"
            f'<h3>Score distributions (share of scored examples)</h3><div class="plots">{hists}</div>'
            f"<h3>Answer length vs total</h3>{scatter}")


def _breakdown(report: ComparisonReport) -> str:
    bd = report.breakdown
    if bd is None:
        return ""
    head = "".join(f'<th class="num">{_t(m.model)}</th>' for m in report.models)
    head += "".join(f'<th class="num">delta {_t(c.candidate)}</th><th class="num">W / T / L</th>' for c in report.comparisons)
    rows = []
    for g in bd.groups:
        cells = "".join(f'<td class="num">{_f(g.means[m.model].estimate)}</td>' for m in report.models)
        for c in report.comparisons:
            w, t, loss = g.wtl[c.candidate]
            cells += f'<td class="num">{_ci(g.deltas[c.candidate], True)}</td><td class="num">{w} / {t} / {loss}</td>'
        rows.append(f'<tr><td>{_t(g.group)}</td><td class="num">{g.examples}</td>{cells}</tr>')
    return (f"<h2>Total by {_t(bd.field)}</h2><table id=\"breakdown\"><tr><th>{_t(bd.field)}</th><th class=\"num\">n</th>{head}</tr>"
            + "".join(rows) + "</table>")


def _top_lists(report: ComparisonReport) -> str:
    parts = ["<h2>Largest regressions and improvements</h2>"]
    for comp in report.comparisons:
        for title, items in (("regressions", comp.regressions), ("improvements", comp.improvements)):
            parts.append(f"<h3>{_t(comp.candidate)}: {title} (total)</h3>")
            if not items:
                parts.append('<p class="muted">none</p>')
            for ex in items:
                cls = "down" if ex.delta < 0 else "up"
                ref = f"<h4>reference</h4><pre>{_t(ex.reference)}</pre>" if ex.reference is not None else ""
                parts.append(
                    f'<details class="{title}"><summary><span class="{cls}">{ex.delta:+.3f}</span> <span class="code">{_t(ex.id)}</span> '
                    f"{_t(ex.category or '')} · {_t(ex.prompt[:120])}</summary><h4>prompt</h4><pre>{_t(ex.prompt)}</pre>{ref}"
                    f'<div class="pair"><div><h4>{_t(comp.baseline)} · {ex.baseline_total:.3f}</h4><pre>{_t(ex.baseline_output)}</pre></div>'
                    f"<div><h4>{_t(comp.candidate)} · {ex.candidate_total:.3f}</h4><pre>{_t(ex.candidate_output)}</pre></div></div></details>"
                )
    return "".join(parts)


def _flips(report: ComparisonReport) -> str:
    rows = [f"<tr><td>{_t(c.candidate)}</td><td>{_t(d.criterion)}</td><td class=\"num up\">{d.fixed}</td><td class=\"num down\">{d.broke}</td></tr>"
            for c in report.comparisons for d in c.criteria if d.fixed or d.broke]
    if not rows:
        return ('<h2 id="flipped">Flipped examples</h2><p class="muted">No criterion has a pass threshold that changed between models; '
                "see the regressions below.</p>")
    return ('<h2 id="flipped">Flipped examples</h2><p>Examples whose pass/fail result on a criterion changed against the baseline '
            '(fixed: failed before, passes now; broke: the reverse). <button type="button" data-show="flipped">show them in the table</button></p>'
            '<table><tr><th>candidate</th><th>criterion</th><th class="num">fixed</th><th class="num">broke</th></tr>' + "".join(rows) + "</table>")


def _examples_section() -> str:
    return (
        '<h2 id="examples-section">Examples</h2><div class="controls">'
        '<input type="search" id="q" placeholder="filter: id, prompt, answer text" aria-label="filter examples">'
        '<label>category <select id="cat"><option value="">all</option></select></label>'
        '<label>candidate <select id="cand"></select></label>'
        '<label>show <select id="show"><option value="all">all</option><option value="regressions">regressions</option>'
        '<option value="improvements">improvements</option><option value="ties">ties</option>'
        '<option value="flipped">flipped</option></select></label><span id="count" class="muted"></span></div>'
        '<p class="muted">Click a column to sort, a row to see both answers, the reference, every score and the judge explanations.</p>'
        '<div class="table-wrap"><table id="examples"><thead><tr><th data-key="id">id</th><th data-key="category">category</th>'
        '<th data-key="base" class="num">baseline total</th><th data-key="cand" class="num" id="cand-head">candidate total</th>'
        '<th data-key="delta" class="num" aria-sort="ascending">delta</th><th data-key="flips">flipped</th><th data-key="prompt">prompt</th>'
        '</tr></thead><tbody id="examples-body"></tbody></table></div>'
    )


def _num(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def _example_data(report: ComparisonReport, aligned: Aligned) -> dict[str, Any]:
    models = aligned.models
    passed = {m: aligned.passed(m) for m in models}
    examples = []
    for i, ex_id in enumerate(aligned.ids):
        base_row = aligned.rows[models[0]][i]
        answers = []
        for m in models:
            row = aligned.rows[m][i]
            scores: list[list[Any]] = []  # [value, passed, explanation, unscored_reason] per criterion
            for name in aligned.criteria:
                s = row.scores.get(name)
                if s is None:
                    scores.append([None, None, "", "criterion_missing"])
                else:
                    scores.append([s.value, s.passed, s.explanation, s.unscored_reason])
            answers.append({"o": row.output, "t": row.total, "n": len(row.output), "s": scores})
        flips: list[list[str]] = [[]]  # indexed like models; the baseline flips against nothing
        for j in range(1, len(models)):
            b, c = passed[models[0]][i], passed[models[j]][i]
            flips.append([f"{name}: {'fixed' if c[k] == 1 else 'broke'}" for k, name in enumerate(aligned.criteria)
                          if np.isfinite(b[k]) and np.isfinite(c[k]) and b[k] != c[k]])
        examples.append({"id": ex_id, "category": base_row.category, "prompt": base_row.prompt,
                         "reference": base_row.reference, "a": answers, "flips": flips})
    categories = sorted({e["category"] for e in examples if e["category"] is not None})
    return {"models": models, "criteria": aligned.criteria, "categories": categories,
            "tie": report.options.tie_margin + 1e-12, "examples": examples}


def render_html(report: ComparisonReport, aligned: Aligned) -> str:
    css = _asset("report.css")
    js = _asset("report.js")
    csp = (f"default-src 'none'; style-src '{_sha(css)}'; script-src '{_sha(js)}'; img-src 'none'; "
           "base-uri 'none'; form-action 'none'")
    body = "".join([
        _header(report),
        _notices(report),
        _summary(report),
        "<h2>Paired differences against the baseline</h2>",
        *(_comparison(report, c) for c in report.comparisons),
        _plots(report, aligned),
        _breakdown(report),
        _flips(report),
        _examples_section(),
        _top_lists(report),
        '<p class="muted">Written by evalkit report. This file makes no network request.</p>',
    ])
    title = "evalkit report: " + " vs ".join(m.model for m in report.models)
    return Template(_asset("template.html")).substitute(
        csp=_t(csp), title=_t(title), css=css, body=body, data=json_for_script(_example_data(report, aligned)), js=js
    )
