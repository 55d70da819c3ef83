"""The HTML report: self-contained, escaped, and working in headless Chromium with no network and no console error."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from test_report_data import score_alpaca, synthetic_row, write_rows

from evalkit.cli import main
from evalkit.html import json_for_script

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]
REPO = Path(__file__).resolve().parent.parent

XSS = {
    "script": "<script>window.__xss = 'script'</script>",
    "breakout": "</script><script>window.__xss = 'breakout'</script>",
    "img": "<img src=x onerror=\"window.__xss = 'img'\">",
    "link": "<a href=\"javascript:window.__xss = 'link'\" id=\"evil-link\">click me</a>",
    "css": "<style>body { display: none !important }</style><div style=\"position:fixed;inset:0;background:red\">css</div>",
    "svg": "<svg onload=\"window.__xss = 'svg'\"></svg>",
}
PAYLOAD = "pwned " + " ".join(XSS.values())


def write_xss_files(tmp_path: Path) -> list[str]:
    """Twelve examples; e0 carries every payload in the candidate answer, prompt, reference, category and explanation."""
    base, cand = [], []
    for i in range(12):
        prompt = f"question {i}" + (f" {XSS['img']}" if i == 0 else "")
        category = XSS["script"] if i == 0 else ("alpha" if i % 2 else "beta")
        reference = XSS["link"] if i == 0 else None
        base.append(synthetic_row(f"e{i}", "base", f"plain answer number{i}", {"acc": 0.8, "fmt": 1.0}, prompt=prompt,
                                  category=category, reference=reference, judge=True))
        output = PAYLOAD if i == 0 else f"tuned answer number{i}"
        value = 0.1 if i == 0 else (0.9 if i % 3 else 0.7)
        row = synthetic_row(f"e{i}", "tuned <b>bold</b>", output, {"acc": value, "fmt": 1.0 if i % 4 else 0.0}, prompt=prompt,
                            category=category, reference=reference, judge=True)
        row.scores["acc"].explanation = XSS["breakout"] if i == 0 else "fine"
        cand.append(row)
    return [str(write_rows(tmp_path / "base.jsonl", base)), str(write_rows(tmp_path / "tuned.jsonl", cand))]


UPDATE_SCREENSHOT = bool(os.environ.get("EVALKIT_UPDATE_SCREENSHOT"))  # set it to rewrite docs/report.png (default resampling)


def flipped_examples(files: list[str]) -> int:
    """Examples where some criterion passes for one model and fails for the other, counted from the score files."""
    base, cand = ({(r := json.loads(line))["id"]: r for line in Path(f).read_text(encoding="utf-8").splitlines()} for f in files)
    return sum(
        any(s["passed"] is not None and cand[i]["scores"][k]["passed"] is not None and s["passed"] != cand[i]["scores"][k]["passed"]
            for k, s in row["scores"].items())
        for i, row in base.items()
    )


def render(tmp_path: Path, files: list[str], *extra: str, fast: bool = True) -> Path:
    out = tmp_path / "report.html"
    speed = ["--resamples", "200", "--permutations", "500"] if fast else []
    result = CliRunner().invoke(main, ["report", *files, "--html", str(out), *speed, *extra], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return out


def test_the_file_is_self_contained_and_escapes_all_text(tmp_path: Path) -> None:
    html = render(tmp_path, write_xss_files(tmp_path)).read_text(encoding="utf-8")
    assert html.count("<script") == 2 and html.count("</script>") == 2  # the data block and our own code
    assert "<style>" not in html.split("</style>", 1)[1]  # one stylesheet, ours
    for raw in XSS.values():
        assert raw not in html
    assert "&lt;script&gt;window.__xss = &#x27;script&#x27;&lt;/script&gt;" in html  # shown as text in the lists
    parser = Tags()
    parser.feed(html)
    assert parser.tags <= {"html", "head", "meta", "title", "style", "body", "script", "h1", "h2", "h3", "h4", "p", "b", "span", "div",
                           "table", "thead", "tbody", "tr", "th", "td", "br", "pre", "details", "summary", "input", "label",
                           "select", "option", "button", "svg", "g", "line", "circle", "rect", "text"}
    assert not parser.attrs & {"src", "href", "srcset", "action", "formaction", "xlink:href", "style", "background"}
    assert not [a for a in parser.attrs if a.startswith("on")]
    assert "url(" not in html and "@import" not in html
    assert re.findall(r"https?://[^\s\"'<>]+", html) == ["http://www.w3.org/2000/svg"] * html.count("<svg")  # a namespace, never fetched
    # The CSP admits exactly the inline style and script that are there.
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    assert csp is not None and "default-src &#x27;none&#x27;" in csp.group(1)
    for tag in ("style", "script"):
        body = re.findall(rf"<{tag}>(.*?)</{tag}>", html, flags=re.S)[-1]
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"sha256-{digest}" in csp.group(1)


def test_embedded_data_keeps_every_string(tmp_path: Path) -> None:
    html = render(tmp_path, write_xss_files(tmp_path)).read_text(encoding="utf-8")
    block = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', html, flags=re.S)
    assert block is not None
    data = json.loads(block.group(1))
    assert data["models"] == ["base", "tuned <b>bold</b>"]
    first = data["examples"][0]
    assert first["a"][1]["o"] == PAYLOAD and first["category"] == XSS["script"] and first["reference"] == XSS["link"]
    assert first["a"][1]["s"][0][2] == XSS["breakout"]


class Tags(HTMLParser):
    """Every element and attribute name in a document (text and escaped text are not tags)."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attrs: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attrs |= {name for name, _ in attrs}


@given(st.recursive(st.text() | st.integers(min_value=-(2**63), max_value=2**63 - 1) | st.none(), lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4), max_leaves=10))
def test_json_for_script_round_trips_and_cannot_close_a_script(obj: Any) -> None:
    text = json_for_script(obj)
    assert not set(text) & {"<", ">", "&"}
    assert json.loads(text) == obj


# ---- headless Chromium ------------------------------------------------------------------------------------------

def _playwright() -> Any:
    if not shutil.which(CHROMIUM):
        pytest.skip(f"no chromium at {CHROMIUM} (apt-get install chromium)")
    return pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    api = _playwright()
    with api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


class Watched:
    """A page that records every request (only the report file itself is let through), console message and dialog."""

    def __init__(self, browser: Any, path: Path) -> None:
        self.url = path.resolve().as_uri()
        self.requests: list[str] = []
        self.console: list[str] = []
        self.dialogs: list[str] = []
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=True)
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        self.page.on("pageerror", lambda e: self.console.append(f"pageerror: {e}"))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.goto(self.url)

    def _route(self, route: Any) -> None:
        if route.request.url == self.url:
            route.continue_()
        else:
            route.abort()

    def rows(self) -> int:
        return int(self.page.locator("#examples-body tr.ex").count())

    def assert_clean(self) -> None:
        assert self.requests == [self.url]
        assert [m for m in self.console if m.startswith(("error", "pageerror", "warning"))] == []
        assert self.dialogs == []


@pytest.mark.browser
def test_browser_report_on_alpaca(browser: Any, shared_data: Path, tmp_path: Path) -> None:
    files = [str(p) for p in score_alpaca(shared_data, tmp_path)]
    path = render(tmp_path, files, "--by", "category", "--fail-if", "delta(total) < -0.02", "--fail-if", "mean(concise) < 0.9",
                  "--top", "5", fast=not UPDATE_SCREENSHOT)
    w = Watched(browser, path)
    page = w.page
    assert page.locator("h1").inner_text() == "evalkit report: alpaca-7b vs alpaca-7b-neft"
    summary = page.locator("#summary")
    assert summary.is_visible() and "total\t0.982 [" in summary.inner_text() and "\t0.993 [" in summary.inner_text()
    assert page.locator("svg.plot").count() >= 6 and page.locator("#breakdown tr").count() == 6
    assert "length_ratio" in page.locator("body").inner_text()
    assert w.rows() == 805 and page.locator("#count").inner_text() == "showing 805 of 805 examples"
    page.select_option("#cat", "vicuna")
    assert w.rows() == 80
    page.select_option("#show", "regressions")
    assert w.rows() == 10  # the vicuna losses of the breakdown table (4/66/10)
    page.select_option("#cat", "")
    assert w.rows() == 51
    page.select_option("#show", "flipped")
    assert w.rows() == flipped_examples(files)
    page.select_option("#show", "all")
    page.fill("#q", "sudoku puzzle")
    assert 1 <= w.rows() < 10
    page.fill("#q", "")
    page.locator("#examples th[data-key=id]").click()
    ids = page.locator("#examples-body tr.ex td.id").all_inner_texts()
    assert len(ids) == 805 and ids == sorted(ids)
    if UPDATE_SCREENSHOT:
        page.set_viewport_size({"width": 1280, "height": 1560})
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(REPO / "docs" / "report.png"))
    else:
        page.screenshot(path=str(tmp_path / "report.png"))
    w.assert_clean()
    w.context.close()


@pytest.mark.browser
def test_browser_shows_planted_xss_as_text_without_running_it(browser: Any, tmp_path: Path) -> None:
    path = render(tmp_path, write_xss_files(tmp_path))
    w = Watched(browser, path)
    page = w.page
    body = page.locator("body")
    assert body.is_visible() and page.evaluate("getComputedStyle(document.body).display") != "none"
    assert page.evaluate("window.__xss") is None
    assert page.evaluate("document.images.length") == 0
    assert page.evaluate("document.querySelectorAll('a[href], [onerror], [onload], #evil-link').length") == 0
    assert page.evaluate("document.querySelectorAll('script').length") == 2
    assert page.evaluate("document.querySelectorAll('style').length") == 1
    assert "tuned <b>bold</b>" in page.locator("h1").inner_text()  # the model name as text, not markup
    # Open the example: every payload is on the page as text.
    page.fill("#q", "pwned")
    assert w.rows() == 1
    page.locator("#examples-body tr.ex").first.click()
    detail = page.locator("#examples-body tr.open").inner_text()
    for raw in (XSS["script"], XSS["img"], XSS["link"], XSS["css"], XSS["breakout"]):
        assert raw in detail
    page.select_option("#cat", XSS["script"])  # the payload as a category is an option like any other
    assert w.rows() == 1
    page.locator("details.regressions summary").first.click()
    assert XSS["svg"] in page.locator("details.regressions").first.inner_text()
    assert page.evaluate("window.__xss") is None
    w.assert_clean()
    w.context.close()


@pytest.mark.browser
def test_browser_candidate_selector_with_three_models(browser: Any, tmp_path: Path) -> None:
    values = {"base": [0.5] * 9, "v1": [0.9] * 3 + [0.5] * 6, "v2": [0.1] * 5 + [0.5] * 4}
    files = [str(write_rows(tmp_path / f"{m}.jsonl", [synthetic_row(f"e{i}", m, f"{m} says {i}", {"acc": v}) for i, v in enumerate(vals)]))
             for m, vals in values.items()]
    w = Watched(browser, render(tmp_path, files))
    page = w.page
    assert page.locator("#cand option").all_inner_texts() == ["v1", "v2"]
    page.select_option("#show", "improvements")
    assert w.rows() == 3
    page.select_option("#cand", "2")
    assert page.locator("#cand-head").inner_text() == "v2 total" and w.rows() == 0
    page.select_option("#show", "regressions")
    assert w.rows() == 5
    page.locator("#examples-body tr.ex").first.click()
    assert "v2 says" in page.locator("#examples-body tr.open").inner_text()
    w.assert_clean()
    w.context.close()
