"""The defects planted into the demo's raw training file, one of each kind `curate clean` handles.

Every defect is built on a fresh spare row (duplicates copy a good row), so each has exactly one reason to be
dropped, and the ledger (planted.json) records its line and kind for the tests to check against.
"""

from __future__ import annotations

import json
import random

REFUSALS = (
    "As an AI language model, I cannot perform unit conversions with certainty.",
    "I'm sorry, but as an AI language model I am not able to help with that request.",
    "As an AI, I don't have the ability to measure things, so I cannot answer this.",
)
PLACEHOLDERS = ("<nooutput>", "N/A", "<No Output>")
PII_PREFIXES = (
    "Email the result to {email}: ",
    "Call me back on {phone} with this. ",
    "For the ticket of {email} ({phone}): ",
)
EMAILS = ("maria.lopez@example.com", "j.smith@example.org", "support-desk@example.net")
PHONES = ("+1 415 555 0134", "(212) 555-0187", "020 7946 0958")
BROKEN_LINES = (
    '{"id": "{id}", "instruction": "Convert 3 km to miles.", "input": "", "output": "Answer: 1.86 mi"',
    '{"id": "{id}", "instruction": "Convert 12 "inches" to cm.", "input": "", "output": "Answer: 30.48 cm"}',
    '{"id": "{id}", "instruction": "What is 2 kg in lb?", "input": "", "output": "Answer: 4.41 lb",}',
    '{"id": "{id}", "instruction": "How many mL are in 2 cups?", "input": "", "outp',
)


def _near_edit(rng: random.Random, row: dict[str, str]) -> dict[str, str]:
    """A small wording edit that leaves the meaning (and the answer) unchanged."""
    edits = (
        lambda s: "Hi! " + s,
        lambda s: s.rstrip("?.") + ", thanks?" if s.endswith("?") else s.rstrip(".") + ", thanks.",
        lambda s: s.replace(" is ", " is exactly ", 1) if " is " in s else "Hello, " + s,
        lambda s: "Hey, " + s[0].lower() + s[1:],
    )
    return {**row, "instruction": rng.choice(edits)(row["instruction"])}


def plant_defects(
    rng: random.Random, good: list[dict[str, str]], spare: list[dict[str, str]], evals: list[dict[str, str]]
) -> tuple[list[str], dict[str, dict]]:
    """Interleave good rows and defects; return the raw lines and the ledger keyed by 1-based line number.

    Duplicates copy a good row and come after it. Every other defect is built on a fresh `spare` row, so no defect
    is also a duplicate of a good row and each has exactly one reason to go.
    """
    fresh = iter(spare)
    items: list[tuple[str, dict[str, str] | str, dict]] = [("good", row, {}) for row in good]
    # Normalizer cases stay in the data after repair; they are marked in the ledger but are not drops.
    for kind in ("normalize_mojibake", "normalize_zero_width", "normalize_placeholder_input"):
        row = dict(next(fresh))
        if kind == "normalize_mojibake":
            row["instruction"] += " (Itâ€™s for a school project.)"
        elif kind == "normalize_zero_width":
            row["instruction"] = row["instruction"].replace(" ", " \u200b", 1)
        else:
            row["input"] = "<noinput>"
        items.append((kind, row, {}))
    n_good = len(items)
    defects: list[tuple[str, dict[str, str] | str, dict]] = []

    def add(kind: str, row: dict[str, str] | str, **info: object) -> None:
        defects.append((kind, row, dict(info)))

    originals = iter(rng.sample(range(len(good)), 18))
    for _ in range(10):
        i = next(originals)
        add("exact_duplicate", dict(good[i]), of=i)
    for _ in range(8):
        i = next(originals)
        add("near_duplicate", _near_edit(rng, good[i]), of=i)
    for _ in range(4):
        add("empty_output", {**next(fresh), "output": rng.choice(("", "  "))})
    for p in PLACEHOLDERS:
        add("placeholder_output", {**next(fresh), "output": p})
    for _ in range(3):
        first, second = next(fresh), next(fresh)
        merged = f"{first['output']}\n\n2. Instruction: {second['instruction']}\n2. Input:\n<noinput>\n2. Output:\n{second['output']}"
        add("merged_instructions", {**first, "output": merged})
    for k, template in enumerate(PII_PREFIXES):
        row = next(fresh)
        add("pii", {**row, "instruction": template.format(email=EMAILS[k], phone=PHONES[k]) + row["instruction"]})
    for text in REFUSALS:
        add("refusal", {**next(fresh), "output": text})
    for line in BROKEN_LINES:
        add("broken_json", line)
    # Eval leaks: two verbatim, two lightly edited, each with the right answer; decontamination must catch them.
    for k, item in enumerate(rng.sample(evals, 4)):
        prompt = item["prompt"] if k < 2 else "Hi, " + item["prompt"][0].lower() + item["prompt"][1:]
        add("eval_leak", {"instruction": prompt, "input": "", "output": item["reference"], "category": item["category"]}, eval_id=item["id"])

    order = items[:n_good]
    rng.shuffle(order)
    # Each defect goes at a random position; a duplicate only after the row it repeats.
    for d in defects:
        lo = 0
        if "of" in d[2]:
            target = good[d[2]["of"]]
            lo = next(k for k, it in enumerate(order) if it[1] is target) + 1
        order.insert(rng.randint(lo, len(order)), d)
    lines: list[str] = []
    ledger: dict[str, dict] = {}
    line_of: dict[int, int] = {}
    for n, (kind, content, info) in enumerate(order, start=1):
        rid = f"conv-{n:04d}"
        if isinstance(content, str):
            lines.append(content.replace("{id}", rid))
        else:
            lines.append(json.dumps({"id": rid, **content}, ensure_ascii=False))
            line_of[id(content)] = n
        if kind != "good":
            ledger[str(n)] = {"kind": kind, **info}
    for entry in ledger.values():
        if "of" in entry:
            at = line_of[id(good[entry.pop("of")])]
            entry["duplicate_of_line"] = at
            entry["duplicate_of_id"] = f"conv-{at:04d}"
    return lines, ledger


SPARE_ROWS = 3 + 4 + len(PLACEHOLDERS) + 6 + len(PII_PREFIXES) + len(REFUSALS)
