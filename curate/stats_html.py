"""The `curate stats --html` report: one self-contained page (inline SVG, inline CSS, no scripts, no requests).

Every piece of dataset text (field names, categories, n-grams, paths) goes through html.escape.
"""

from __future__ import annotations

from html import escape

from schemas.ops import Distribution, StatsReport

__all__ = ["render_html"]

CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222;max-width:1100px}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5em 0}td,th{padding:2px 10px;text-align:right;border-bottom:1px solid #eee}
td:first-child,th:first-child{text-align:left}.hists{display:flex;flex-wrap:wrap;gap:16px}
figure{margin:0;border:1px solid #eee;padding:6px}figcaption{font-size:12px;color:#555}
svg rect{fill:#4a7bd0}svg text{font-size:10px;fill:#555}
"""


def _table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def histogram_svg(d: Distribution, width: int = 320, height: int = 120) -> str:
    peak = max(d.histogram) or 1
    n = len(d.histogram)
    bar = (width - 10) / n
    bars = []
    for i, c in enumerate(d.histogram):
        h = (height - 30) * c / peak
        lo, hi = d.edges[i], d.edges[i + 1]
        bars.append(
            f'<rect x="{5 + i * bar:.1f}" y="{height - 20 - h:.1f}" width="{max(bar - 1, 0.5):.1f}" height="{h:.1f}">'
            f"<title>{lo:g}–{hi:g}: {c}</title></rect>"
        )
    labels = f'<text x="5" y="{height - 6}">{d.edges[0]:g}</text><text x="{width - 5}" y="{height - 6}" text-anchor="end">{d.edges[-1]:g}+</text>'
    caption = f"{escape(d.field)} · {escape(d.unit)} · p50 {d.percentiles['p50']:g} · p95 {d.percentiles['p95']:g} · max {d.max:g}"
    svg = f'<svg width="{width}" height="{height}" role="img">{"".join(bars)}{labels}</svg>'
    return f"<figure>{svg}<figcaption>{caption}</figcaption></figure>"


def render_html(report: StatsReport) -> str:
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        f"<title>curate stats: {escape(', '.join(report.input))}</title><style>{CSS}</style></head><body>",
        f"<h1>curate stats</h1><p>{escape(', '.join(report.input))}</p>",
        _table(["rows", "valid", "invalid"], [[f"{report.rows:,}", f"{report.valid_rows:,}", f"{report.invalid_rows:,}"]]),
        "<h2>Record kinds</h2>",
        _table(["kind", "rows"], [[k, f"{n:,}"] for k, n in report.kinds.items()]),
    ]
    if report.category_field:
        parts += [f"<h2>By {escape(report.category_field)}</h2>", _table([report.category_field, "rows"], [[k, f"{n:,}"] for k, n in report.categories.items()])]
    parts += ["<h2>Empty fields</h2>", _table(["field", "empty"], [[k, f"{v:.1%}"] for k, v in report.empty_rates.items()])]
    for unit in ("chars", "words", "tokens"):
        dists = [d for d in report.lengths if d.unit == unit]
        if dists:
            parts.append(f"<h2>Lengths in {unit}" + (f" ({escape(report.tokenizer or '')})" if unit == "tokens" else "") + "</h2>")
            parts.append(_table(["field", "mean", *dists[0].percentiles, "max"], [[d.field, f"{d.mean:g}", *(f"{v:g}" for v in d.percentiles.values()), f"{d.max:g}"] for d in dists]))
            parts.append("<div class='hists'>" + "".join(histogram_svg(d) for d in dists) + "</div>")
    if report.turns:
        parts += ["<h2>Chat turns</h2>", f"<div class='hists'>{histogram_svg(report.turns)}</div>"]
    parts += ["<h2>Top prompt n-grams</h2>", _table(["n-gram", "records"], [[g, f"{n:,}"] for g, n in report.top_ngrams])]
    parts.append("</body></html>\n")
    return "".join(parts)
