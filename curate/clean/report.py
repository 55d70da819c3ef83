"""A self-contained HTML page for a clean run: the same numbers as the terminal summary plus examples per reason.

Every piece of dataset text goes through html.escape; the page loads nothing from anywhere.
"""

from __future__ import annotations

import html
from typing import Any

import orjson

from schemas.clean import CleanManifest, RejectRow

_CSS = """
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:70rem;color:#222;padding:0 1rem}
table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums}.ok{color:#176d2c}.bad{color:#b00020}
pre{white-space:pre-wrap;word-break:break-word;background:#f6f6f6;padding:.5rem;margin:.2rem 0;max-height:16rem;overflow:auto}
h2{margin-top:2rem}.muted{color:#666}
"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _content(row: RejectRow, limit: int = 2000) -> str:
    text = row.content if isinstance(row.content, str) else orjson.dumps(row.content, option=orjson.OPT_INDENT_2).decode()
    return text if len(text) <= limit else text[:limit] + " …"


def _input(i: Any) -> str:
    digest = (i.sha256 or "-")[:12]
    return f"{i.path} ({i.rows:,} rows, sha256 {digest})"


def render_html(m: CleanManifest) -> str:
    ok = m.balanced
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>curate clean report</title><style>{_CSS}</style></head><body>",
        "<h1>curate clean</h1>",
        "<table><tbody>",
        f"<tr><th>inputs</th><td>{'<br>'.join(_e(_input(i)) for i in m.inputs)}</td></tr>",
        f"<tr><th>input rows</th><td class='n'>{m.input_rows:,}</td></tr>",
        f"<tr><th>kept rows</th><td class='n ok'>{m.kept_rows:,}</td></tr>",
        f"<tr><th>rejected rows</th><td class='n bad'>{m.rejected_rows:,}</td></tr>",
        f"<tr><th>accounting</th><td class='{'ok' if ok else 'bad'}'>{m.input_rows:,} = {m.kept_rows:,} + {m.rejected_rows:,} "
        f"{'holds' if ok else 'DOES NOT HOLD'}</td></tr>",
        f"<tr><th>time</th><td class='n'>{m.elapsed_s:.1f} s</td></tr>",
        "</tbody></table>",
    ]
    if m.file_findings:
        parts.append("<h2>File problems</h2><ul>")
        parts += [f"<li>{_e(f)}</li>" for f in m.file_findings]
        parts.append("</ul>")
    parts.append("<h2>Steps</h2><table><thead><tr><th>step</th><th>kind</th><th>in</th><th>kept</th><th>dropped</th><th>modified</th><th>reasons</th></tr></thead><tbody>")
    for s in m.steps:
        reasons = ", ".join([*(f"{k} {v:,}" for k, v in s.reasons.items()), *(f"{k} {v}" for k, v in s.info.items())])
        parts.append(
            f"<tr><td>{_e(s.name)}</td><td>{_e(s.kind)}</td><td class='n'>{s.input:,}</td><td class='n'>{s.kept:,}</td>"
            f"<td class='n'>{s.dropped:,}</td><td class='n'>{s.modified:,}</td><td>{_e(reasons)}</td></tr>"
        )
    parts.append("</tbody></table>")
    if m.rejected_by_reason:
        parts.append("<h2>Rejected by reason</h2><table><thead><tr><th>reason</th><th>rows</th></tr></thead><tbody>")
        parts += [f"<tr><td><a href='#r-{_e(k)}'>{_e(k)}</a></td><td class='n'>{v:,}</td></tr>" for k, v in m.rejected_by_reason.items()]
        parts.append("</tbody></table><h2>Examples</h2>")
    for reason, rows in m.examples.items():
        parts.append(f"<h3 id='r-{_e(reason)}'>{_e(reason)} <span class='muted'>({m.rejected_by_reason.get(reason, 0):,} rows)</span></h3>")
        for r in rows:
            where = f"{r.file}:{r.line}" if r.line is not None else f"{r.file}#row{r.file_row}"
            dup = f" · duplicate of {r.duplicate_of}" if r.duplicate_of else ""
            parts.append(f"<p><b>{_e(where)}</b> · step {_e(r.step)}{_e(dup)}<br>{_e(r.detail)}</p><pre>{_e(_content(r))}</pre>")
    parts.append("</body></html>\n")
    return "\n".join(parts)
