"""The HTML report: one self-contained file (inline CSS, JS and SVG) that opens offline and requests nothing."""

from __future__ import annotations

from evalkit.html.render import json_for_script, render_html

__all__ = ["json_for_script", "render_html"]
