from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from curate.io.write import atomic_write, write_jsonl


def test_outputs_get_the_umask_mode_not_mkstemps_0600(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        write_jsonl(tmp_path / "out.jsonl", [{"a": 1}])
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "out.jsonl").stat().st_mode) == 0o644


def test_a_failed_write_keeps_the_previous_file_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    target.write_text("old\n")
    with pytest.raises(RuntimeError), atomic_write(target) as fh:
        fh.write(b"half")
        raise RuntimeError("killed")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]


def test_write_errors_are_output_errors_naming_the_target(tmp_path: Path) -> None:
    from curate.errors import OutputError

    blocker = tmp_path / "ok.jsonl"
    blocker.write_text("data\n")
    with pytest.raises(OutputError, match=f"cannot write {blocker / 'train.jsonl'}: {blocker} is a file, not a folder"):
        write_jsonl(blocker / "train.jsonl", [{"a": 1}])
    with pytest.raises(OutputError, match=f"cannot write {tmp_path}: "):
        write_jsonl(tmp_path, [{"a": 1}])  # a folder stands where the file goes
    assert blocker.read_text() == "data\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ok.jsonl"], "no temporary file is left behind"


def test_a_write_error_inside_the_block_is_an_output_error_but_other_errors_pass(tmp_path: Path) -> None:
    import errno

    from curate.errors import OutputError

    target = tmp_path / "out.jsonl"
    with pytest.raises(OutputError, match=r"cannot write .*out\.jsonl: No space left on device"), atomic_write(target):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    with pytest.raises(FileNotFoundError), atomic_write(target):
        open(tmp_path / "some-input.jsonl", "rb")  # noqa: SIM115 - an input the block reads: not a write error
    assert list(tmp_path.iterdir()) == []
