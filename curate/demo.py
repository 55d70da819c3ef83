"""`python -m curate.demo` (`make demo`): the whole loop on the bundled sample data, raw file to an evaluated adapter.

Every step is the real command line, run as a subprocess and printed first, so each can be repeated by hand:

    curate check → curate clean → curate decontaminate → curate train (LoRA on builtin:smollm2-135m, CPU)
    → evalkit generate (base, base + adapter) → evalkit score (rubric unit_conversion) → evalkit report --html

The demo fails (exit 1) naming the step when a command fails or leaves an output missing, and when the tuned model
does not beat its base on the rubric's total with a paired test significant at 5% (`evalkit report
--require-significant-improvement total`). `--ci` runs the same loop on `builtin:tiny` and a handful of examples and
checks structure only. Outputs go to `demo-out/` (`demo-out/ci/` with --ci); the converted model and the
generation caches are kept between runs, so a second run is faster.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import click

from curate.io.write import write_json, write_text

SAMPLE = Path(__file__).resolve().parent / "sample_data"
RUBRIC = "unit_conversion"  # evalkit/rubrics/unit_conversion.yaml


@dataclass(frozen=True)
class Plan:
    """What differs between the full demo and its CI-sized variant."""

    model: str
    train_flags: tuple[str, ...]
    generate_flags: tuple[str, ...]
    gate: tuple[str, ...]
    ci: bool


FULL = Plan(
    model="builtin:smollm2-135m",
    # Sized for 2 CPU cores: short examples (p95 under 60 tokens), 720 of them (about 1.8 epochs), ~3 min when idle.
    train_flags=("--max-steps", "90", "--batch-size", "8", "--lr", "3e-4", "--max-length", "96", "--eval-split", "0", "--seed", "0"),
    generate_flags=("--max-new-tokens", "48", "--batch-size", "16"),
    gate=("--require-significant-improvement", "total"),
    ci=False,
)
CI = Plan(
    model="builtin:tiny",
    train_flags=("--max-steps", "3", "--batch-size", "4", "--max-length", "96", "--eval-split", "0", "--seed", "0"),
    generate_flags=("--max-new-tokens", "8", "--batch-size", "8"),
    gate=(),
    ci=True,
)

# (tool, command) pairs the demo runs, with the module that implements each: checked before any work starts.
NEEDED = (("curate", "check"), ("curate", "clean"), ("curate", "decontaminate"), ("curate", "train"),
          ("evalkit", "generate"), ("evalkit", "score"), ("evalkit", "report"))  # fmt: skip


class DemoError(Exception):
    """A step failed or is missing; the message names it and says how to look closer."""


@dataclass
class StepResult:
    name: str
    command: list[str]
    seconds: float
    exit_code: int
    note: str = ""


@dataclass
class Runner:
    out: Path
    env: dict[str, str]
    total_steps: int
    results: list[StepResult] = field(default_factory=list)

    def run(self, name: str, why: str, argv: list[str], *, ok: tuple[int, ...] = (0,), outputs: tuple[Path, ...] = (),
            capture: bool = False) -> subprocess.CompletedProcess[str]:  # fmt: skip
        n = len(self.results) + 1
        say(f"\n[bold cyan][{n}/{self.total_steps}] {name}[/] — {why}")
        say(f"[bold]$ {shlex.join(display(argv))}[/]")
        start = time.perf_counter()
        proc = subprocess.run(argv, env=self.env, text=True, stdout=subprocess.PIPE if capture else None, check=False)
        seconds = time.perf_counter() - start
        self.results.append(StepResult(name, display(argv), round(seconds, 1), proc.returncode))
        if proc.returncode not in ok:
            raise DemoError(
                f"step {n} ({name}) failed: exit status {proc.returncode}, expected {' or '.join(map(str, ok))}. "
                f"Its messages are above; rerun the command shown to look closer."
            )
        missing = [p for p in outputs if not p.exists()]
        if missing:
            raise DemoError(f"step {n} ({name}) exited {proc.returncode} but did not write {', '.join(map(str, display(missing)))}")
        say(f"[dim]   {name}: {seconds:.1f} s (exit {proc.returncode})[/]")
        return proc


_console: Any = None


def say(text: Any) -> None:
    """Print a line with rich markup, or any rich renderable (a table)."""
    global _console
    if _console is None:
        from rich.console import Console

        _console = Console(highlight=False)
    _console.print(text)


def display(items: list[Any]) -> list[str]:
    """Paths under the working directory shown relative to it, so printed commands are short and repeatable."""
    cwd = Path.cwd()
    shown = []
    for item in items:
        text = str(item)
        if text.startswith("/"):
            p = Path(text)
            text = str(p.relative_to(cwd)) if p.is_relative_to(cwd) else text
        shown.append(text)
    return shown


def tool(name: str) -> str:
    """The console script installed beside this interpreter (the demo runs what a user runs)."""
    path = Path(sys.executable).parent / name
    if not path.exists():
        raise DemoError(f"{path} not found: the `{name}` command is not installed in this environment; run `make demo` (it installs the package)")
    return str(path)


def check_commands_exist() -> None:
    """Fail before any work with the list of commands that are not there, instead of mid-way."""
    from curate.cli import COMMANDS as CURATE
    from evalkit.cli import COMMANDS as EVALKIT

    plugins = {ep.name: ep.value for ep in entry_points(group="curatekit.plugins")}
    registry = {"curate": {**{k: v[0] for k, v in CURATE.items()}, **plugins}, "evalkit": {k: v[0] for k, v in EVALKIT.items()}}
    missing = []
    for t, cmd in NEEDED:
        target = registry[t].get(cmd)
        if target is None or find_spec(target.split(":")[0]) is None:
            missing.append(f"`{t} {cmd}` ({target or 'not registered'})")
    if missing:
        raise DemoError("the demo cannot run; these steps are missing: " + ", ".join(missing))


def ci_subset(out: Path) -> tuple[Path, Path]:
    """A handful of raw lines holding one planted defect of each kind (and what they repeat), plus matching eval items."""
    planted = json.loads((SAMPLE / "planted.json").read_text(encoding="utf-8"))
    raw = (SAMPLE / "train_raw.jsonl").read_text(encoding="utf-8").splitlines()
    evals = (SAMPLE / "eval.jsonl").read_text(encoding="utf-8").splitlines()
    pick: set[int] = set(range(1, 13))
    seen_kinds: set[str] = set()
    leaked: list[str] = []
    for line, entry in sorted(planted["lines"].items(), key=lambda kv: int(kv[0])):
        if entry["kind"] in seen_kinds:
            continue
        seen_kinds.add(entry["kind"])
        pick.add(int(line))
        if "duplicate_of_line" in entry:
            pick.add(entry["duplicate_of_line"])
        if "eval_id" in entry:
            leaked.append(entry["eval_id"])
    keep_eval = [e for e in evals if json.loads(e)["id"] in leaked] + [e for e in evals[:6] if json.loads(e)["id"] not in leaked]
    raw_path, eval_path = out / "data" / "train_raw.jsonl", out / "data" / "eval.jsonl"
    write_text(raw_path, "".join(raw[i - 1] + "\n" for i in sorted(pick)))
    write_text(eval_path, "".join(e + "\n" for e in keep_eval))
    return raw_path, eval_path


def prepare_out(out: Path) -> None:
    """Remove the previous run's results but keep the generation caches (preds/*.cache.jsonl)."""
    import shutil

    for name in ("clean", "decontaminated", "adapter", "scores", "data"):
        shutil.rmtree(out / name, ignore_errors=True)
    for name in ("report.html", "demo.json", "preds/base.jsonl", "preds/tuned.jsonl"):
        (out / name).unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)


def run_demo(plan: Plan, out: Path) -> dict[str, Any]:
    out = out.resolve()
    check_commands_exist()
    curate, evalkit = tool("curate"), tool("evalkit")
    prepare_out(out)
    raw, evals = ci_subset(out) if plan.ci else (SAMPLE / "train_raw.jsonl", SAMPLE / "eval.jsonl")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    runner = Runner(out, env, total_steps=10)
    load_start = os.getloadavg()
    started = time.perf_counter()

    runner.run("check", "validate the raw file; exit 1 is expected: it has broken JSON lines", [curate, "check", str(raw), "--show", "5"], ok=(1,))
    clean_dir = out / "clean"
    runner.run("clean", "normalize, filter, deduplicate; every dropped row goes to rejects.jsonl with its reason",
               [curate, "clean", str(raw), "-o", str(clean_dir)],
               outputs=(clean_dir / "clean.jsonl", clean_dir / "rejects.jsonl", clean_dir / "manifest.json"))  # fmt: skip
    manifest = json.loads((clean_dir / "manifest.json").read_text(encoding="utf-8"))
    accounting = {k: manifest[k] for k in ("input_rows", "kept_rows", "rejected_rows", "rejected_by_reason")}
    if accounting["input_rows"] != accounting["kept_rows"] + accounting["rejected_rows"]:
        raise DemoError(f"clean accounting does not add up: {accounting}")
    decon_dir = out / "decontaminated"
    runner.run("decontaminate", "drop training rows that overlap the held-out eval set",
               [curate, "decontaminate", str(clean_dir / "clean.jsonl"), "--against", str(evals), "-o", str(decon_dir)],
               outputs=(decon_dir / "clean.jsonl", decon_dir / "rejects.jsonl"))  # fmt: skip
    decon = json.loads((decon_dir / "decontamination.json").read_text(encoding="utf-8"))
    train_data = decon_dir / "clean.jsonl"

    code = f'from train_plugin.builtins import builtin_dir; print(builtin_dir("{plan.model}"))'
    runner.run("model", f"build {plan.model} once into the model cache (reused by later runs)", [sys.executable, "-c", code])
    adapter = out / "adapter"
    runner.run("train", f"LoRA SFT on {plan.model}, CPU",
               [curate, "train", "--data", str(train_data), "--model", plan.model, "-o", str(adapter), *plan.train_flags],
               outputs=(adapter / "adapter_config.json", adapter / "run.json"))  # fmt: skip
    preds = {name: out / "preds" / f"{name}.jsonl" for name in ("base", "tuned")}
    for name, extra in (("base", []), ("tuned", ["--adapter", str(adapter)])):
        runner.run(f"generate {name}", f"answer the eval prompts with the {'base model' if name == 'base' else 'base + adapter'}",
                   [evalkit, "generate", "--model", plan.model, *extra, "--data", str(evals), "-o", str(preds[name]), "--name", name,
                    *plan.generate_flags], outputs=(preds[name],))  # fmt: skip
    scores_dir = out / "scores"
    scores = [scores_dir / f"{name}.scores.jsonl" for name in preds]
    runner.run("score", f"score both with the rubric {RUBRIC}",
               [evalkit, "score", *map(str, preds.values()), "--rubric", RUBRIC, "-o", str(scores_dir)], outputs=tuple(scores))  # fmt: skip
    html = out / "report.html"
    report_args = [evalkit, "report", *map(str, scores), "--baseline", "base", "--by", "category"]
    # With the gate, exit 1 means "no significant improvement": the verdict still runs so the numbers are shown.
    gated = runner.run("report", "paired statistics, HTML report" + (", and the gate: a significant improvement of the total" if plan.gate else ""),
                       [*report_args, "--html", str(html), *plan.gate], ok=(0, 1) if plan.gate else (0,), outputs=(html,))  # fmt: skip
    proc = runner.run("verdict", "the same report as JSON, for the summary below", [*report_args, *plan.gate, "--json"], ok=(0, 1), capture=True)
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        raise DemoError("step 10 (verdict): evalkit report --json printed no report; its messages are above") from None
    gate_failed = any(g["failed"] for g in report.get("gate", []))
    if gated.returncode != 0 and not gate_failed:
        raise DemoError(f"step 9 (report) exited {gated.returncode} without a failed gate condition; its messages are above")

    summary = {
        "mode": "ci" if plan.ci else "full",
        "model": plan.model,
        "out": str(out),
        "report_html": str(html),
        "seconds": round(time.perf_counter() - started, 1),
        "cpu_count": os.cpu_count(),
        "load_average": {"start": round(load_start[0], 2), "end": round(os.getloadavg()[0], 2)},
        "steps": [r.__dict__ for r in runner.results],
        "clean": accounting,
        "decontaminate": {"rows": decon["rows"], "rejected": decon["rejected"], "kept": decon["kept"]},
        "train": _train_facts(adapter / "run.json"),
        "generations": {name: _count_lines(p) for name, p in preds.items()},
        "verdict": verdict(report),
        "examples": _examples(preds),
    }
    write_json(out / "demo.json", summary)
    summary["gate_failed"] = gate_failed
    return summary


def _examples(preds: dict[str, Path], per_category: int = 1) -> list[dict[str, Any]]:
    """One eval prompt per category with both answers and the reference, to show what changed in plain words."""
    rows = {name: [json.loads(line) for line in p.read_text(encoding="utf-8").splitlines() if line.strip()] for name, p in preds.items()}
    tuned = {r["id"]: r["output"] for r in rows["tuned"]}
    picked: list[dict[str, Any]] = []
    seen: dict[str | None, int] = {}
    for r in rows["base"]:
        if seen.get(r.get("category"), 0) < per_category and r["id"] in tuned:
            seen[r.get("category")] = seen.get(r.get("category"), 0) + 1
            picked.append({"id": r["id"], "prompt": r["prompt"], "reference": r.get("reference"), "base": r["output"], "tuned": tuned[r["id"]]})
    return picked


def _count_lines(path: Path) -> int:
    with open(path, "rb") as fh:
        return sum(1 for line in fh if line.strip())


def _train_facts(run_json: Path) -> dict[str, Any]:
    card = json.loads(run_json.read_text(encoding="utf-8"))
    keys = ("steps", "train_examples", "final_train_loss", "train_seconds", "tokens_per_second")
    return {k: card.get(k) for k in keys}


def verdict(report: dict[str, Any]) -> dict[str, Any]:
    """The numbers the closing lines quote: per-model means and the tuned-vs-base deltas."""
    means = {m["model"]: {c["criterion"]: c["mean"]["estimate"] for c in m["criteria"]} for m in report["models"]}
    comp = next(c for c in report["comparisons"] if c["candidate"] == "tuned")
    deltas = {d["criterion"]: d for d in comp["criteria"]}
    total = deltas["total"]
    return {
        "means": means,
        "delta_total": total["delta"],
        "p_holm_total": total["p_holm"],
        "significant": total["significant"],
        "wins_ties_losses": [total["wins"], total["ties"], total["losses"]],
        "significant_criteria": [name for name, d in deltas.items() if d["significant"]],
        "gate": [{"condition": g["condition"], "failed": g["failed"]} for g in report.get("gate", [])],
    }


def print_summary(summary: dict[str, Any], plan: Plan) -> None:
    from rich.markup import escape
    from rich.table import Table

    table = Table(title="demo steps", title_justify="left")
    for col in ("step", "seconds", "exit"):
        table.add_column(col, justify="left" if col == "step" else "right")
    for s in summary["steps"]:
        table.add_row(s["name"], f"{s['seconds']:.1f}", str(s["exit_code"]))
    table.add_row("[bold]total[/]", f"[bold]{summary['seconds']:.1f}[/]", "")
    say("")
    say(table)
    c = summary["clean"]
    reasons = ", ".join(f"{k} {v}" for k, v in c["rejected_by_reason"].items())
    say(f"clean: {c['input_rows']} rows in = {c['kept_rows']} kept + {c['rejected_rows']} rejected ({reasons}); "
        f"decontaminate: {summary['decontaminate']['rejected']} eval leaks removed, {summary['decontaminate']['kept']} rows trained on")  # fmt: skip
    load = summary["load_average"]
    say(f"[dim]machine: {summary['cpu_count']} CPUs, load average {load['start']} at start, {load['end']} at the end[/]")
    say("")
    for ex in summary["examples"]:  # model text is escaped: a "[b]" in an answer is not rich markup
        say(f"[bold]{ex['id']}[/] {escape(ex['prompt'])}  [dim](reference: {escape(str(ex['reference']))})[/]")
        say(f"   base : {escape(_one_line(ex['base']))}")
        say(f"   tuned: {escape(_one_line(ex['tuned']))}")
    v = summary["verdict"]
    base, tuned = v["means"]["base"], v["means"]["tuned"]
    d = v["delta_total"]
    sig = "significant" if v["significant"] else "NOT significant"
    w, t, l_ = v["wins_ties_losses"]
    say("")
    say(f"[bold]Report:[/] {display([summary['report_html']])[0]}")
    say(f"[bold]Verdict:[/] tuned {tuned['total']:.3f} vs base {base['total']:.3f} on the rubric total: "
        f"Δ {d['estimate']:+.3f} (95% CI {d['low']:+.3f} … {d['high']:+.3f}), Holm p = {v['p_holm_total']:.4g}, {sig} at 5%; "
        f"wins/ties/losses {w}/{t}/{l_}.")  # fmt: skip
    say(f"  House format {base['format']:.0%} → {tuned['format']:.0%} of answers; right value {base['correct']:.0%} → "
        f"{tuned['correct']:.0%}; exact answer {base['exact']:.0%} → {tuned['exact']:.0%}.")  # fmt: skip
    if plan.ci:
        say("  CI variant: structure checked (every step ran, outputs exist, accounting holds); improvement is not asserted.")
    else:
        gate = v["gate"][0] if v["gate"] else {"condition": "-", "failed": False}
        say(f"  Gate `{gate['condition']}`: {'FAILED' if gate['failed'] else 'passed'}; total time {summary['seconds'] / 60:.1f} min.")


def _one_line(text: str, limit: int = 110) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--ci", is_flag=True, help="CI-sized variant: builtin:tiny, a handful of examples, structure checks only.")
@click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output folder (default demo-out/, or demo-out/ci/ with --ci).")  # fmt: skip
def main(ci: bool, out: Path | None) -> None:
    """Run the whole curatekit loop on the bundled sample data: check, clean, decontaminate, train, generate, score, report.

    \b
    Example:
        python -m curate.demo            # make demo: SmolLM2-135M, 4-7 minutes on 2 idle CPU cores
        python -m curate.demo --ci       # make demo-ci: builtin:tiny, under a minute
    """
    plan = CI if ci else FULL
    target = out or Path("demo-out/ci" if ci else "demo-out")
    try:
        summary = run_demo(plan, target)
    except DemoError as exc:
        say(f"\n[bold red]demo failed:[/] {exc}")
        sys.exit(1)
    except KeyboardInterrupt:
        # The step's own process got the same Ctrl-C; every command writes atomically, so nothing is half-written.
        say("\n[bold red]demo interrupted[/]; rerun it to start again (the model and generation caches are kept)")
        sys.exit(130)
    print_summary(summary, plan)
    if summary["gate_failed"]:
        say("[bold red]demo failed:[/] the tuned model does not beat its base significantly at 5% on the rubric total "
            "(evalkit report --require-significant-improvement total exited 1); see the report above.")  # fmt: skip
        sys.exit(1)


if __name__ == "__main__":
    main()
