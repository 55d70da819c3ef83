"""`evalkit report --record DB` and `evalkit history DB`: a metric over time, in one SQLite file (stdlib sqlite3).

    record(db, report, aligned) -> run number     appends one run: its summary rows and the full report JSON
    read_history(db, criterion, ...) -> History   one row per (run, model), oldest first

A run is stored in one transaction, so an interrupted `--record` leaves the database as it was.
"""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from evalkit.align import Aligned
from evalkit.errors import InputError
from schemas.report import ComparisonReport, History, HistoryRow, Interval

__all__ = ["data_hash", "read_history", "record"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run INTEGER PRIMARY KEY AUTOINCREMENT,
    recorded_at TEXT NOT NULL,
    rubric TEXT NOT NULL,
    rubric_hash TEXT NOT NULL,
    data_hash TEXT NOT NULL,
    baseline TEXT NOT NULL,
    examples INTEGER NOT NULL,
    report TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS results (
    run INTEGER NOT NULL REFERENCES runs(run),
    model TEXT NOT NULL,
    criterion TEXT NOT NULL,
    mean REAL, low REAL, high REAL, n INTEGER NOT NULL, unscored INTEGER NOT NULL,
    delta REAL, delta_low REAL, delta_high REAL, delta_n INTEGER, p_holm REAL,
    wins INTEGER, ties INTEGER, losses INTEGER,
    PRIMARY KEY (run, model, criterion)
);
"""


def data_hash(aligned: Aligned) -> str:
    """Identifies the eval set actually compared: the ids and prompts, in order."""
    h = hashlib.sha256()
    for row in aligned.rows[aligned.models[0]]:
        h.update(row.id.encode() + b"\x00" + row.prompt.encode() + b"\x01")
    return h.hexdigest()


def _connect(path: str | Path, create: bool) -> sqlite3.Connection:
    """For recording (create=True): open or create the file and its tables. For reading: open it read-only and
    check that it is an evalkit history database, so reading never changes the file."""
    p = Path(path)
    if not create and not p.is_file():
        raise InputError(f"{path}: no such history database; write one with `evalkit report ... --record {path}`")
    conn: sqlite3.Connection | None = None
    try:
        if create:
            conn = sqlite3.connect(p)
            conn.executescript(_SCHEMA)
            return conn
        conn = sqlite3.connect(p.resolve().as_uri() + "?mode=ro", uri=True)
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as exc:
        if conn is not None:
            conn.close()
        raise InputError(f"{path}: not a usable SQLite history database ({exc})") from exc
    if not {"runs", "results"} <= tables:
        conn.close()
        raise InputError(
            f"{path}: not an evalkit history database (it has no runs and results tables); record one with `evalkit report ... --record {path}`"
        )
    return conn


def record(path: str | Path, report: ComparisonReport, aligned: Aligned, now: datetime | None = None) -> int:
    """Append this report as a new run; returns its run number."""
    stamp = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    conn = _connect(path, create=True)
    try:
        with conn:  # one transaction: all of the run or none of it
            cur = conn.execute(
                "INSERT INTO runs (recorded_at, rubric, rubric_hash, data_hash, baseline, examples, report) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (stamp, report.rubric, report.rubric_hash, data_hash(aligned), report.baseline, report.alignment.common,
                 report.model_dump_json()),
            )
            run = int(cur.lastrowid or 0)
            comps = {c.candidate: c for c in report.comparisons}
            for m in report.models:
                for st in m.criteria:
                    comp = comps.get(m.model)
                    d = comp.delta(st.criterion) if comp else None
                    conn.execute(
                        "INSERT INTO results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (run, m.model, st.criterion, st.mean.estimate, st.mean.low, st.mean.high, st.mean.n, st.unscored,
                         d.delta.estimate if d else None, d.delta.low if d else None, d.delta.high if d else None,
                         d.delta.n if d else None, d.p_holm if d else None,
                         d.wins if d else None, d.ties if d else None, d.losses if d else None),
                    )
    finally:
        conn.close()
    return run


def read_history(path: str | Path, criterion: str = "total", model: str | None = None, rubric: str | None = None) -> History:
    """Every recorded value of `criterion`, oldest run first, optionally for one model or one rubric."""
    conn = _connect(path, create=False)
    try:
        known = [r[0] for r in conn.execute("SELECT DISTINCT criterion FROM results ORDER BY criterion")]
        if known and criterion not in known:
            raise InputError(f"{path}: no criterion {criterion!r} recorded; criteria: {', '.join(known)}")
        sql = (
            "SELECT r.run, r.recorded_at, r.rubric, r.rubric_hash, r.data_hash, x.model, r.baseline, x.criterion, "
            "x.mean, x.low, x.high, x.n, x.delta, x.delta_low, x.delta_high, x.delta_n, x.p_holm, x.wins, x.ties, x.losses "
            "FROM results x JOIN runs r ON r.run = x.run WHERE x.criterion = ?"
        )
        params: list[object] = [criterion]
        if model is not None:
            sql += " AND x.model = ?"
            params.append(model)
        if rubric is not None:
            sql += " AND r.rubric = ?"
            params.append(rubric)
        rows = conn.execute(sql + " ORDER BY r.run, x.rowid", params).fetchall()
    finally:
        conn.close()
    out = []
    for (run, at, rub, rhash, dhash, mod, base, crit, mean, low, high, n, delta, dlow, dhigh, dn, p, w, t, loss) in rows:
        out.append(HistoryRow(
            run=run, recorded_at=at, rubric=rub, rubric_hash=rhash, data_hash=dhash, model=mod, baseline=base, criterion=crit,
            mean=Interval(estimate=mean, low=low, high=high, n=n),
            delta=Interval(estimate=delta, low=dlow, high=dhigh, n=dn) if dn is not None else None,
            p_holm=p, wins=w, ties=t, losses=loss,
        ))
    return History(database=str(path), criterion=criterion, rows=out)
