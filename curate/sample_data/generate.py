"""Generate the demo's sample dataset: a unit-conversion assistant with a strict house answer format.

    python -m curate.sample_data.generate            # rewrites the committed files beside this script
    python -m curate.sample_data.generate --check    # exit 1 if the committed files differ from a fresh build

The house format is one line, `Answer: <value> <unit symbol>`. The value is computed exactly (fractions, from the
exact definitions of the units) and rounded half away from zero to at most two decimals, trailing zeros dropped:
`Answer: 8.82 oz`, `Answer: 5000 m`, `Answer: -40 °F`. Questions name units in many ways (`kilometres`, `km`,
`kilometers`); answers always use the symbol. A small chat model never answers like this unprompted; LoRA teaches it
in a few minutes of CPU time, which is what the demo shows.

Files (deterministic for a given SEED; pure Python, no network, no model):

    train_raw.jsonl   Alpaca-shaped rows {"id","instruction","input","output"} with planted defects of every kind
                      `curate clean` handles, plus a few eval items leaked on purpose for `curate decontaminate`.
    eval.jsonl        held-out canonical prompt records {"kind":"prompt","id","prompt","reference","category"}:
                      unseen phrasings and quantities, no near-duplicate of any training row.
    planted.json      the ledger of planted defects: raw line number -> kind (and the line a duplicate repeats).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from rapidfuzz import fuzz

from curate.sample_data.defects import SPARE_ROWS, plant_defects

SEED = 20261126
HERE = Path(__file__).resolve().parent
TRAIN_ROWS = 400  # good rows before defects are added
EVAL_PER_CATEGORY = 12
# Held-out means "no eval prompt resembles a training prompt": rapidfuzz ratio (0-100) on the lowercased prompt.
MAX_EVAL_SIMILARITY = 75.0
# Good training rows must not be near-duplicates of one another either, or dedup would drop real data.
MAX_TRAIN_SIMILARITY = 88.0


@dataclass(frozen=True)
class Unit:
    symbol: str
    dimension: str
    factor: Fraction  # size in the dimension's base unit (m, g, mL, s); temperature is affine, handled apart
    names: tuple[str, ...]  # ways a user writes it (plural forms; the symbol is added)
    metric: bool
    quantities: tuple[str, ...]  # typical amounts, as written


def _f(text: str) -> Fraction:
    return Fraction(text)


UNITS: dict[str, Unit] = {
    u.symbol: u
    for u in (
        Unit("mm", "length", _f("0.001"), ("millimeters", "millimetres"), True, ("4", "12", "35", "250", "600", "1500", "7.5", "90", "18", "3.2", "450", "820")),
        Unit("cm", "length", _f("0.01"), ("centimeters", "centimetres"), True, ("3", "15", "42", "80", "175", "2.5", "0.8", "30", "64", "120", "9.5", "250")),
        Unit("m", "length", _f("1"), ("meters", "metres"), True, ("2", "8", "25", "100", "400", "1.75", "0.6", "3200", "12", "50", "1500", "4.2")),
        Unit("km", "length", _f("1000"), ("kilometers", "kilometres"), True, ("1", "5", "10", "21.1", "42.2", "3.5", "120", "0.4", "2", "15", "75", "300")),
        Unit("in", "length", _f("0.0254"), ("inches",), False, ("2", "6", "12", "27", "55", "8.5", "0.75", "4", "18", "32", "1.5", "72")),
        Unit("ft", "length", _f("0.3048"), ("feet",), False, ("3", "6", "10", "33", "250", "5.5", "1200", "8", "14", "100", "2.5", "5280")),
        Unit("yd", "length", _f("0.9144"), ("yards",), False, ("1", "5", "40", "100", "220", "2.5", "3", "10", "25", "60", "440", "0.5")),
        Unit("mi", "length", _f("1609.344"), ("miles",), False, ("1", "3", "13.1", "26.2", "60", "250", "0.5", "2", "6.2", "10", "100", "1.5")),
        Unit("mg", "mass", _f("0.001"), ("milligrams",), True, ("5", "80", "250", "500", "1200", "2.5", "10", "50", "325", "750", "2000", "150")),
        Unit("g", "mass", _f("1"), ("grams",), True, ("5", "28", "125", "250", "500", "750", "12.5", "1800", "100", "40", "2.5", "1000")),
        Unit("kg", "mass", _f("1000"), ("kilograms", "kilos"), True, ("1", "2.5", "8", "23", "70", "0.45", "150", "5", "12", "0.2", "45", "90")),
        Unit("oz", "mass", _f("28.349523125"), ("ounces",), False, ("1", "4", "8", "16", "3.5", "12", "0.5", "2", "6", "24", "32", "1.5")),
        Unit("lb", "mass", _f("453.59237"), ("pounds", "lbs"), False, ("1", "2", "5", "12", "50", "160", "0.25", "7.5", "3", "20", "180", "0.5")),
        Unit("mL", "volume", _f("1"), ("milliliters", "millilitres"), True, ("5", "15", "250", "330", "500", "750", "2.5", "100", "30", "1000", "60", "1500")),
        Unit("L", "volume", _f("1000"), ("liters", "litres"), True, ("1", "2", "4.5", "20", "60", "0.75", "1.5", "200", "0.5", "3", "10", "45")),
        Unit("gal", "volume", _f("3785.411784"), ("US gallons", "gallons"), False, ("1", "5", "12", "0.5", "15", "40", "2", "3.5", "10", "20", "0.25", "55")),
        Unit("fl oz", "volume", _f("29.5735295625"), ("US fluid ounces", "fluid ounces"), False, ("1", "6", "8", "12", "16.9", "64", "2", "4", "16", "20", "32", "0.5")),
        Unit("s", "time", _f("1"), ("seconds",), True, ("30", "45", "90", "600", "3600", "7200", "150", "10", "240", "900", "1800", "86400")),
        Unit("min", "time", _f("60"), ("minutes",), True, ("1", "15", "45", "90", "135", "2.5", "600", "5", "30", "75", "240", "1440")),
        Unit("h", "time", _f("3600"), ("hours",), True, ("1", "2", "8", "24", "36", "1.5", "0.25", "168", "3", "12", "48", "0.5")),
        Unit("d", "time", _f("86400"), ("days",), True, ("1", "2", "3", "5", "7", "10", "14", "30", "90", "365", "0.5", "1.5")),
        Unit("°C", "temperature", _f("1"), ("degrees Celsius", "Celsius"), True, ("-40", "-5", "0", "4", "20", "37", "100", "180", "22.5", "-18", "60", "200", "15", "250")),
        Unit("°F", "temperature", _f("1"), ("degrees Fahrenheit", "Fahrenheit"), False, ("-4", "0", "32", "50", "72", "98.6", "212", "350", "-40", "40", "100", "400", "65", "450")),
        Unit("K", "temperature", _f("1"), ("kelvin",), True, ("0", "77", "273.15", "300", "310", "373.15", "250", "500", "290", "1000")),
    )
}


def convert(value: Fraction, src: Unit, dst: Unit) -> Fraction:
    if src.dimension == "temperature":
        celsius = {"°C": value, "°F": (value - 32) * Fraction(5, 9), "K": value - Fraction("273.15")}[src.symbol]
        return {"°C": celsius, "°F": celsius * Fraction(9, 5) + 32, "K": celsius + Fraction("273.15")}[dst.symbol]
    return value * src.factor / dst.factor


def format_value(value: Fraction) -> str:
    """Round half away from zero to two decimals, drop trailing zeros: 8.8185 -> 8.82, 5000.00 -> 5000, -0.004 -> 0."""
    hundredths = abs(value) * 100
    n = int(hundredths)
    if hundredths - n >= Fraction(1, 2):
        n += 1
    sign = "-" if value < 0 and n else ""
    whole, frac = divmod(n, 100)
    return f"{sign}{whole}" + (f".{frac:02d}".rstrip("0") if frac else "")


def answer(quantity: str, src: Unit, dst: Unit) -> str:
    return f"Answer: {format_value(convert(Fraction(quantity), src, dst))} {dst.symbol}"


def category(src: Unit, dst: Unit) -> str:
    if src.dimension in ("temperature", "time"):
        return src.dimension
    return "metric" if src.metric and dst.metric else "imperial"


# Phrasings. Eval phrasings are disjoint from training ones, so the eval set tests the format on unseen wording.
TRAIN_TEMPLATES = (
    "Convert {q} {src} to {dst}.",
    "How many {dst} are in {q} {src}?",
    "What is {q} {src} in {dst}?",
    "Please convert {q} {src} into {dst}.",
    "{q} {src} is how many {dst}?",
    "Express {q} {src} in {dst}.",
    "I need {q} {src} converted to {dst}.",
    "Could you turn {q} {src} into {dst} for me?",
    "What does {q} {src} come to in {dst}?",
    "Give me {q} {src} in {dst}, please.",
    "Quick one: {q} {src} to {dst}?",
    "Change {q} {src} to {dst} for my notes.",
)
# Context phrasings, each with the source units it reads naturally with (nobody runs 4 mm).
LONG, SHORT = ("km", "mi", "m", "yd", "ft"), ("cm", "in", "mm", "m", "ft")
HEAVY, LIGHT = ("kg", "lb", "g"), ("g", "oz", "kg", "lb")
TRAIN_CONTEXT: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "length": (
        ("The hiking trail is {q} {src} long. How long is that in {dst}?", LONG),
        ("My desk is {q} {src} wide; what is that in {dst}?", SHORT),
        ("I ran {q} {src} this morning. How far is that in {dst}?", LONG),
        ("A shelf board measures {q} {src}. Convert it to {dst}.", SHORT),
    ),
    "mass": (
        ("My suitcase weighs {q} {src}. What is that in {dst}?", HEAVY),
        ("The recipe needs {q} {src} of flour. How much is that in {dst}?", LIGHT),
        ("A parcel weighs {q} {src}; the courier wants the weight in {dst}.", HEAVY),
    ),
    "volume": (
        ("The fuel tank holds {q} {src}. How much is that in {dst}?", ("L", "gal")),
        ("I drank {q} {src} of water today. What's that in {dst}?", ("L", "mL", "fl oz")),
        ("The recipe asks for {q} {src} of milk; convert that to {dst}.", ("mL", "fl oz")),
    ),
    "time": (
        ("The flight lasts {q} {src}. How long is that in {dst}?", ("h", "min")),
        ("The project took {q} {src}. Express that in {dst}.", ("d", "h")),
        ("My commute is {q} {src}; how many {dst} is that?", ("min", "h")),
    ),
    "temperature": (
        ("The oven is set to {q} {src}. What is that in {dst}?", ("°C", "°F")),
        ("It's {q} {src} outside. What's the temperature in {dst}?", ("°C", "°F")),
        ("The water in the kettle is at {q} {src}; convert it to {dst}.", ("°C", "°F", "K")),
    ),
}
# Instruction + separate input field: the quantity travels in `input`, as in Alpaca-style exports.
TRAIN_WITH_INPUT = (
    "Convert the following quantity to {dst}.",
    "Express this measurement in {dst}.",
    "Rewrite the amount below in {dst}.",
)
EVAL_TEMPLATES = (
    "If something measures {q} {src}, what is it in {dst}?",
    "Tell me the value of {q} {src} expressed in {dst}.",
    "I'm filling in a form that wants {dst}. I have {q} {src}. What do I write?",
    "What would {q} {src} be if measured in {dst}?",
    "Help me out: {q} {src} equals how many {dst}?",
)
EVAL_CONTEXT: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "length": (("The bridge spans {q} {src}. What is its length in {dst}?", LONG),),
    "mass": (("A bag of rice weighs {q} {src}. How heavy is it in {dst}?", HEAVY),),
    "volume": (("The aquarium holds {q} {src}. What is its volume in {dst}?", ("L", "gal")),),
    "time": (("The movie runs for {q} {src}. How long is it in {dst}?", ("min", "h")),),
    "temperature": (("The pool water is {q} {src}. What is that in {dst}?", ("°C", "°F")),),
}



NAME_ONLY = frozenset({"°C", "°F", "K", "d", "in"})  # nobody asks "14 d", "32 °F" or "100 m in in"
SINGULAR = {"feet": "foot", "inches": "inch", "degrees": "degree", "lbs": "lb"}


def _singular(name: str) -> str:
    words = name.split()
    words = [SINGULAR.get(w, w[:-1] if w.endswith("s") and w not in ("Celsius",) else w) for w in words]
    return " ".join(words)


def _unit_name(rng: random.Random, unit: Unit, quantity: str | None = None) -> str:
    """How a user writes the unit: a name or the symbol (temperatures always by name), singular for exactly 1."""
    name = rng.choice(unit.names if unit.symbol in NAME_ONLY else (*unit.names, unit.symbol))
    return _singular(name) if quantity == "1" and name != unit.symbol else name


def _sensible(value: Fraction, dst: Unit) -> bool:
    """Keep answers a person would ask for: not rounded to nothing, not a 9-digit count of millimetres."""
    return dst.dimension == "temperature" or Fraction(1, 20) <= abs(value) <= 1_000_000


def _pick(rng: random.Random, used: set[tuple[str, str, str]], want: str | None = None) -> tuple[Unit, Unit, str]:
    """A conversion not used before: a unit pair of one dimension (of category `want`, if given) and a typical quantity.

    Every (source, target, quantity) appears once across train and eval, so no eval question is a training question
    asked in other words.
    """
    while True:
        src, dst = rng.sample(list(UNITS.values()), 2)
        if src.dimension != dst.dimension or (want is not None and category(src, dst) != want):
            continue
        q = rng.choice(src.quantities)
        if (src.symbol, dst.symbol, q) not in used and _sensible(convert(Fraction(q), src, dst), dst):
            used.add((src.symbol, dst.symbol, q))
            return src, dst, q


Context = dict[str, tuple[tuple[str, tuple[str, ...]], ...]]


def _question(rng: random.Random, templates: tuple[str, ...], context: Context, src: Unit, dst: Unit, q: str) -> str:
    pool = list(templates) + [t for t, fits in context[src.dimension] if src.symbol in fits]
    return rng.choice(pool).format(q=q, src=_unit_name(rng, src, q), dst=_unit_name(rng, dst))


def _too_similar(text: str, others: list[str], limit: float) -> bool:
    low = text.lower()
    return any(fuzz.ratio(low, o) >= limit for o in others)


def good_train_rows(rng: random.Random, n: int, used: set[tuple[str, str, str]]) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    seen: list[str] = []
    while len(rows) < n:
        src, dst, q = _pick(rng, used)
        if rng.random() < 0.12:
            instruction = rng.choice(TRAIN_WITH_INPUT).format(dst=_unit_name(rng, dst))
            inp = f"{q} {src.symbol}"
        else:
            instruction, inp = _question(rng, TRAIN_TEMPLATES, TRAIN_CONTEXT, src, dst, q), ""
        text = f"{instruction} {inp}".strip()
        if _too_similar(text, seen, MAX_TRAIN_SIMILARITY):
            continue
        seen.append(text.lower())
        rows.append({"instruction": instruction, "input": inp, "output": answer(q, src, dst), "category": category(src, dst)})
    return rows


def eval_rows(rng: random.Random, train_texts: list[str], used: set[tuple[str, str, str]]) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    train = [t.lower() for t in train_texts]
    seen: list[str] = []
    for cat in ("metric", "imperial", "temperature", "time"):
        made = 0
        while made < EVAL_PER_CATEGORY:
            src, dst, q = _pick(rng, used, cat)
            prompt = _question(rng, EVAL_TEMPLATES, EVAL_CONTEXT, src, dst, q)
            if _too_similar(prompt, train, MAX_EVAL_SIMILARITY) or _too_similar(prompt, seen, MAX_TRAIN_SIMILARITY):
                continue
            seen.append(prompt.lower())
            made += 1
            rows.append(
                {"kind": "prompt", "id": f"eval-{len(rows) + 1:03d}", "prompt": prompt, "reference": answer(q, src, dst), "category": cat}
            )
    return rows


def build(seed: int = SEED) -> dict[str, str]:
    """Return {file name: file text} for the whole sample dataset."""
    rng = random.Random(seed)
    used: set[tuple[str, str, str]] = set()
    rows = good_train_rows(rng, TRAIN_ROWS + SPARE_ROWS, used)
    good, spare = rows[:TRAIN_ROWS], rows[TRAIN_ROWS:]
    evals = eval_rows(rng, [f"{r['instruction']} {r['input']}".strip() for r in rows], used)
    lines, ledger = plant_defects(rng, good, spare, evals)
    summary: dict[str, int] = {}
    for entry in ledger.values():
        summary[entry["kind"]] = summary.get(entry["kind"], 0) + 1
    planted = {"seed": seed, "raw_lines": len(lines), "good_rows": len(good), "by_kind": summary, "lines": ledger}
    return {
        "train_raw.jsonl": "\n".join(lines) + "\n",
        "eval.jsonl": "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in evals),
        "planted.json": json.dumps(planted, indent=2, ensure_ascii=False) + "\n",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=HERE, help="Folder to write into (default: beside this script).")
    parser.add_argument("--check", action="store_true", help="Exit 1 if the files in --out differ from a fresh build.")
    args = parser.parse_args(argv)
    files = build()
    if args.check:
        stale = [name for name, text in files.items() if not (args.out / name).is_file() or (args.out / name).read_text(encoding="utf-8") != text]
        for name in stale:
            print(f"{args.out / name}: differs from a fresh build; run python -m curate.sample_data.generate", file=sys.stderr)
        return 1 if stale else 0
    args.out.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (args.out / name).write_text(text, encoding="utf-8")
        print(f"wrote {args.out / name}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
