"use strict";
// Per-example table of the evalkit report. Data comes from the JSON block; text goes into the page only through
// textContent, never innerHTML, so answers are shown as text whatever they contain.
(function () {
  const data = JSON.parse(document.getElementById("report-data").textContent);
  const models = data.models;
  const crit = data.criteria;
  const el = (tag, text, cls) => {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  };
  const fmt = (v, signed) => (v === null || v === undefined ? "n/a" : (signed && v > 0 ? "+" : "") + v.toFixed(3));

  const q = document.getElementById("q");
  const cat = document.getElementById("cat");
  const show = document.getElementById("show");
  const cand = document.getElementById("cand");
  const tbody = document.getElementById("examples-body");
  const count = document.getElementById("count");
  let sortKey = "delta";
  let sortDir = 1;

  for (const c of data.categories) cat.appendChild(el("option", c)).value = c;
  models.slice(1).forEach((m, i) => { cand.appendChild(el("option", m)).value = String(i + 1); });
  if (models.length < 3) cand.parentElement.hidden = true;

  const haystack = data.examples.map((ex) =>
    [ex.id, ex.category || "", ex.prompt, ex.reference || "", ...ex.a.map((a) => a.o)].join("\n").toLowerCase());

  function delta(ex, j) {
    const b = ex.a[0].t;
    const c = ex.a[j].t;
    return b === null || c === null ? null : c - b;
  }

  function keyOf(ex, j) {
    switch (sortKey) {
      case "id": return ex.id;
      case "category": return ex.category || "";
      case "base": return ex.a[0].t;
      case "cand": return ex.a[j].t;
      case "flips": return (ex.flips[j] || []).length;
      case "prompt": return ex.prompt;
      default: return delta(ex, j);
    }
  }

  function cmp(a, b) {
    if (a === b) return 0;
    if (a === null) return 1;
    if (b === null) return -1;
    return (a < b ? -1 : 1) * sortDir;
  }

  function detail(ex, j) {
    const box = el("div", null, "detail");
    const qa = el("div", null, "pair");
    const left = el("div");
    left.appendChild(el("h4", "prompt"));
    left.appendChild(el("pre", ex.prompt));
    if (ex.reference !== null) {
      left.appendChild(el("h4", "reference"));
      left.appendChild(el("pre", ex.reference));
    }
    qa.appendChild(left);
    box.appendChild(qa);
    const answers = el("div", null, "pair");
    for (const k of [0, j]) {
      const col = el("div");
      col.appendChild(el("h4", models[k] + " · total " + fmt(ex.a[k].t) + " · " + ex.a[k].n + " chars", "m" + k));
      col.appendChild(el("pre", ex.a[k].o));
      answers.appendChild(col);
    }
    box.appendChild(answers);
    const table = el("table", null, "scores");
    const head = table.appendChild(el("tr"));
    for (const h of ["criterion", models[0], models[j], "explanation (" + models[0] + ")", "explanation (" + models[j] + ")"]) head.appendChild(el("th", h));
    crit.forEach((name, i) => {
      const row = table.appendChild(el("tr"));
      row.appendChild(el("td", name));
      for (const k of [0, j]) {
        const s = ex.a[k].s[i];
        row.appendChild(el("td", s[0] === null ? "unscored" + (s[3] ? " (" + s[3] + ")" : "") : fmt(s[0]) + (s[1] === null ? "" : s[1] ? " pass" : " fail")));
      }
      for (const k of [0, j]) row.appendChild(el("td", ex.a[k].s[i][2], "expl"));
    });
    box.appendChild(table);
    return box;
  }

  function render() {
    const j = Number(cand.value || 1);
    const needle = q.value.trim().toLowerCase();
    const mode = show.value;
    const rows = [];
    data.examples.forEach((ex, i) => {
      if (needle && !haystack[i].includes(needle)) return;
      if (cat.value && ex.category !== cat.value) return;
      const d = delta(ex, j);
      if (mode === "regressions" && !(d !== null && d < -data.tie)) return;
      if (mode === "improvements" && !(d !== null && d > data.tie)) return;
      if (mode === "ties" && !(d !== null && Math.abs(d) <= data.tie)) return;
      if (mode === "flipped" && !(ex.flips[j] || []).length) return;
      rows.push(ex);
    });
    rows.sort((a, b) => cmp(keyOf(a, j), keyOf(b, j)));
    tbody.replaceChildren();
    for (const ex of rows) {
      const tr = el("tr", null, "ex");
      const d = delta(ex, j);
      tr.appendChild(el("td", ex.id, "id"));
      tr.appendChild(el("td", ex.category || ""));
      tr.appendChild(el("td", fmt(ex.a[0].t), "num"));
      tr.appendChild(el("td", fmt(ex.a[j].t), "num"));
      tr.appendChild(el("td", fmt(d, true), "num " + (d > data.tie ? "up" : d < -data.tie ? "down" : "")));
      tr.appendChild(el("td", (ex.flips[j] || []).join(", ")));
      tr.appendChild(el("td", ex.prompt.length > 140 ? ex.prompt.slice(0, 139) + "…" : ex.prompt, "prompt"));
      tr.addEventListener("click", () => {
        const next = tr.nextElementSibling;
        if (next && next.classList.contains("open")) { next.remove(); return; }
        const row = el("tr", null, "open");
        const td = el("td");
        td.colSpan = 7;
        td.appendChild(detail(ex, j));
        row.appendChild(td);
        tr.after(row);
      });
      tbody.appendChild(tr);
    }
    count.textContent = "showing " + rows.length + " of " + data.examples.length + " examples";
    document.getElementById("cand-head").textContent = models[j] + " total";
  }

  for (const th of document.querySelectorAll("#examples th[data-key]")) {
    th.addEventListener("click", () => {
      sortDir = sortKey === th.dataset.key ? -sortDir : 1;
      sortKey = th.dataset.key;
      for (const other of document.querySelectorAll("#examples th[data-key]")) other.removeAttribute("aria-sort");
      th.setAttribute("aria-sort", sortDir > 0 ? "ascending" : "descending");
      render();
    });
  }
  for (const input of [q, cat, show, cand]) input.addEventListener("input", render);
  for (const button of document.querySelectorAll("button[data-show]")) {
    button.addEventListener("click", () => {
      show.value = button.dataset.show;
      render();
      document.getElementById("examples-section").scrollIntoView();
    });
  }
  render();
})();
