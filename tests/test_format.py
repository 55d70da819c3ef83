"""curate format: round trips between every pair of formats that can hold a record, refusals, output types."""

from __future__ import annotations

import gzip
import itertools
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from curate.cli import main
from curate.convert import convert_paths
from curate.formats import Unconvertible, convert_record
from curate.io import read_records
from curate.io.shapes import HH_ASSISTANT
from schemas.ops import FormatOptions
from schemas.records import ChatRecord, InstructionRecord, Message, PreferenceRecord, PromptRecord, normalize_for_hash


def _records(path: Path | str) -> list:
    rows = list(read_records([str(path)]))
    assert all(r.ok for r in rows), [r.findings for r in rows if not r.ok][:3]
    return [r.record for r in rows]


def _same_content(a: list, b: list) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        assert (x.kind, x.id, x.content_hash(), x.meta) == (y.kind, y.id, y.content_hash(), y.meta)


def _turn_pairs(records: list) -> list[tuple[str, str]]:
    """(prompt, answer) of single-turn records, whatever their kind."""
    out = []
    for r in records:
        if isinstance(r, InstructionRecord):
            out.append((r.instruction, r.output))
        else:
            assert isinstance(r, ChatRecord) and len(r.messages) == 2
            out.append((r.messages[0].content, r.messages[1].content))
    return out


def _convert(src: Path | str, out: Path, to: str, **kw: object) -> Path:
    report = convert_paths([str(src)], out, FormatOptions(to=to, **kw))  # type: ignore[arg-type]
    assert report.written and report.failed == 0, report.problems[:3]
    assert report.converted == report.rows
    return out


def _head(src: Path, out: Path, n: int) -> Path:
    out.write_text("".join(src.read_text().splitlines(keepends=True)[:n]))
    return out


def test_sharegpt_to_messages_and_back_is_identical(shared_data: Path, tmp_path: Path) -> None:
    src = shared_data / "sharegpt_dummy_conversation.json"
    messages = _convert(src, tmp_path / "m.jsonl", "messages")
    first = json.loads(messages.read_text().splitlines()[0])
    assert first["id"] == "identity_0" and first["messages"][0] == {"role": "user", "content": "Who are you?"}
    back = _convert(messages, tmp_path / "s.jsonl", "sharegpt")
    original = json.loads(src.read_text())
    assert [json.loads(line) for line in back.read_text().splitlines()] == original


# (source file or builder, formats that hold its records losslessly)
SINGLE_TURN = ("alpaca", "messages", "sharegpt", "prompt-completion")


@pytest.mark.parametrize(("a", "b"), list(itertools.permutations(SINGLE_TURN, 2)))
def test_single_turn_instructions_round_trip_between_every_pair(shared_data: Path, tmp_path: Path, a: str, b: str) -> None:
    src = _head(shared_data / "gsm8k_test.jsonl", tmp_path / "gsm.jsonl", 40)
    first = _convert(src, tmp_path / f"a.{a}.jsonl", a)
    second = _convert(first, tmp_path / f"b.{b}.jsonl", b)
    again = _convert(second, tmp_path / f"c.{a}.jsonl", a)
    assert first.read_bytes() == again.read_bytes()
    assert _turn_pairs(_records(second)) == _turn_pairs(_records(first)) == _turn_pairs(_records(src))


def test_multi_turn_chat_round_trips_between_messages_and_sharegpt_in_every_file_type(shared_data: Path, tmp_path: Path) -> None:
    src = shared_data / "sharegpt_dummy_conversation.json"
    original = _records(src)
    for out in ("m.parquet", "m_dir", "m.jsonl"):
        messages = _convert(src, tmp_path / out, "messages")
        _same_content(_records(messages), original)
        sharegpt = _convert(messages, tmp_path / f"s_{Path(out).stem}.parquet", "sharegpt")
        _same_content(_records(sharegpt), original)


def test_self_instruct_keeps_ids_and_extra_keys_through_alpaca(shared_data: Path, tmp_path: Path) -> None:
    src = shared_data / "self_instruct_seed_tasks.jsonl"
    out = _convert(src, tmp_path / "a.jsonl", "alpaca")
    # The self_instruct reader also copies `id` into meta (curate/io/shapes.py builds meta before taking the id);
    # the alpaca rows carry it once, as the id.
    expected = [r.model_copy(update={"meta": {k: v for k, v in r.meta.items() if k != "id"}}) for r in _records(src)]
    _same_content(_records(out), expected)
    row = json.loads(out.read_text().splitlines()[0])
    assert row["id"] == "seed_task_0" and row["name"] == "breakfast_suggestion" and row["is_classification"] is False


def test_input_is_joined_into_the_user_turn_and_counted(shared_data: Path, tmp_path: Path) -> None:
    report = convert_paths([str(shared_data / "self_instruct_seed_tasks.jsonl")], tmp_path / "m.jsonl", FormatOptions(to="messages"))
    with_input = sum(1 for r in _records(shared_data / "self_instruct_seed_tasks.jsonl") if r.input.strip())
    assert report.rules_applied == {"input_joined": with_input} and with_input > 0
    rec = InstructionRecord(instruction="Translate.", input="Bonjour", output="Hello")
    row, rules = convert_record(rec, FormatOptions(to="prompt-completion"))
    assert row == {"prompt": "Translate.\n\nBonjour", "completion": "Hello"} and rules == ["input_joined"]


def test_hh_rlhf_becomes_preference_records_with_the_shared_prompt_split_out(shared_data: Path, tmp_path: Path) -> None:
    src = shared_data / "hh_rlhf_harmless_base_test.jsonl.gz"
    out = _convert(src, tmp_path / "pairs.parquet", "preference")
    records = _records(out)
    originals = [json.loads(line) for line in gzip.decompress(src.read_bytes()).decode().splitlines()]
    assert len(records) == len(originals) == 2312
    for rec, orig in zip(records, originals, strict=True):
        assert isinstance(rec, PreferenceRecord) and isinstance(rec.prompt, list)
        assert rec.prompt[-1].role == "user" and rec.chosen != rec.rejected
        transcript = "".join(f"\n\n{'Human' if m.role == 'user' else 'Assistant'}: {m.content}" for m in rec.prompt) + HH_ASSISTANT
        for answer, key in ((rec.chosen, "chosen"), (rec.rejected, "rejected")):
            assert normalize_for_hash(f"{transcript} {answer}") == normalize_for_hash(orig[key])
    # the pairs survive a second conversion unchanged
    _same_content(_records(_convert(out, tmp_path / "again.jsonl", "preference")), records)


def test_multi_turn_chat_into_alpaca_is_refused_with_reasons_and_nothing_written(shared_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "a.jsonl"
    result = CliRunner().invoke(main, ["format", str(shared_data / "sharegpt_dummy_conversation.json"), "-o", str(out), "--to", "alpaca"])
    assert result.exit_code == 1
    assert "multi_turn" in result.output and "sharegpt_dummy_conversation.json:2 " in result.output and "--multi-turn fold" in result.output
    assert "333 of 500 rows" in result.output and not out.exists()


def test_fold_rule_and_skip_unconvertible(shared_data: Path, tmp_path: Path) -> None:
    src = str(shared_data / "sharegpt_dummy_conversation.json")
    folded = convert_paths([src], tmp_path / "f.jsonl", FormatOptions(to="alpaca", multi_turn="fold"))
    assert folded.converted == 500 and folded.rules_applied == {"multi_turn_folded": 333}
    row = json.loads((tmp_path / "f.jsonl").read_text().splitlines()[0])
    assert row["instruction"] == "Have a nice day!" and row["input"].startswith("User: Who are you?\nAssistant: I am Vicuna")
    skipped = convert_paths([src], tmp_path / "s.jsonl", FormatOptions(to="alpaca", skip_unconvertible=True))
    assert (skipped.converted, skipped.failed, skipped.failed_by_reason) == (167, 333, {"multi_turn": 333})
    rejects = [json.loads(line) for line in Path(skipped.rejects or "").read_text().splitlines()]
    assert len(rejects) == 333 and rejects[0]["reason"] == "multi_turn" and rejects[0]["content"]["id"] == "identity_0"
    assert (rejects[0]["step"], rejects[0]["line"], rejects[0]["id"]) == ("format", 2, "identity_0")
    assert len((tmp_path / "s.jsonl").read_text().splitlines()) == 167


def test_preference_needs_keep_chosen_for_sft_targets() -> None:
    pair = PreferenceRecord(prompt=[Message(role="user", content="Hi")], chosen="Hello!", rejected="Go away.")
    with pytest.raises(Unconvertible) as info:
        convert_record(pair, FormatOptions(to="messages"))
    assert info.value.reason == "preference_pair" and "--keep-chosen" in str(info.value)
    row, rules = convert_record(pair, FormatOptions(to="messages", keep_chosen=True))
    assert row["messages"][-1] == {"role": "assistant", "content": "Hello!"} and rules == ["kept_chosen"]
    chat = ChatRecord(messages=[Message(role="user", content="a"), Message(role="assistant", content="b")])
    with pytest.raises(Unconvertible, match="no rejected answer"):
        convert_record(chat, FormatOptions(to="preference"))
    with pytest.raises(Unconvertible) as prompt_info:
        convert_record(PromptRecord(prompt="q"), FormatOptions(to="alpaca"))
    assert prompt_info.value.reason == "no_answer"


def test_system_turn_does_not_silently_vanish_in_alpaca() -> None:
    chat = ChatRecord(messages=[Message(role="system", content="Be terse."), Message(role="user", content="a"), Message(role="assistant", content="b")])
    with pytest.raises(Unconvertible) as info:
        convert_record(chat, FormatOptions(to="alpaca"))
    assert info.value.reason == "multi_turn"
    row, _ = convert_record(chat, FormatOptions(to="alpaca", multi_turn="fold"))
    assert row == {"instruction": "a", "input": "System: Be terse.", "output": "b"}


def test_meta_key_that_would_change_the_shape_is_refused() -> None:
    rec = InstructionRecord(instruction="a", output="b", meta={"messages": "not a list"})
    with pytest.raises(Unconvertible) as info:
        convert_record(rec, FormatOptions(to="alpaca"))
    assert info.value.reason == "meta_key_conflict"
    for extra in ({"uid": "x"}, {"question_id": 7}):  # read back, these would become the id of an id-less record
        with pytest.raises(Unconvertible, match="would collide"):
            convert_record(InstructionRecord(instruction="a", output="b", meta=extra), FormatOptions(to="alpaca"))
    with pytest.raises(Unconvertible, match="would collide"):
        convert_record(InstructionRecord(id="a", instruction="a", output="b", meta={"id": "b"}), FormatOptions(to="alpaca"))
    row, _ = convert_record(InstructionRecord(id="a", instruction="a", output="b", meta={"uid": "u"}), FormatOptions(to="alpaca"))
    assert row == {"id": "a", "instruction": "a", "input": "", "output": "b", "uid": "u"}
    with pytest.raises(Unconvertible) as empty:
        convert_record(InstructionRecord(instruction="a", output=" "), FormatOptions(to="messages"))
    assert empty.value.reason == "invalid_chat" and "last assistant turn is empty" in str(empty.value)
    rec2 = InstructionRecord(instruction="a", output="b", meta={"completion": "x"})
    with pytest.raises(Unconvertible, match="completion"):
        convert_record(rec2, FormatOptions(to="prompt-completion"))


def test_unreadable_rows_are_reported_with_file_and_line(tmp_path: Path) -> None:
    src = tmp_path / "bad.jsonl"
    src.write_text('{"instruction": "a", "output": "b"}\n{"instruction": "c", "output": \n')
    result = CliRunner().invoke(main, ["format", str(src), "-o", str(tmp_path / "o.jsonl"), "--to", "messages", "--skip-unconvertible"])
    assert result.exit_code == 0, result.output
    assert f"{src}:2" in result.output
    assert len((tmp_path / "o.jsonl").read_text().splitlines()) == 1
    reject = json.loads((tmp_path / "o.rejects.jsonl").read_text())
    assert (reject["file"], reject["line"], reject["step"]) == (str(src), 2, "read")
    assert reject["reason"] in ("invalid_json", "truncated_line")


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    src = tmp_path / "a.jsonl"
    src.write_text('{"instruction": "a", "output": "b"}\n')
    runner = CliRunner()
    assert runner.invoke(main, ["format", str(src), "-o", str(tmp_path / "o.jsonl")]).exit_code == 2
    assert runner.invoke(main, ["format", str(src), "-o", str(tmp_path / "o.jsonl"), "--to", "text"]).exit_code == 2
    assert runner.invoke(main, ["format", str(src), "-o", str(tmp_path / "o.jsonl"), "--to", "alpaca", "--chat-template", "x"]).exit_code == 2
    bad_suffix = runner.invoke(main, ["format", str(src), "-o", str(tmp_path / "o.txt"), "--to", "alpaca"])
    assert bad_suffix.exit_code == 1 and "--output-format" in bad_suffix.output


def test_help_has_a_runnable_example() -> None:
    result = CliRunner().invoke(main, ["format", "--help"])
    assert result.exit_code == 0 and "curate format data/sharegpt.json -o chat.jsonl --to messages" in result.output


@pytest.mark.slow
def test_chat_template_renders_text(shared_data: Path, tmp_path: Path) -> None:
    src = _head(shared_data / "gsm8k_test.jsonl", tmp_path / "g.jsonl", 3)
    out = tmp_path / "t.jsonl"
    result = CliRunner().invoke(main, ["format", str(src), "-o", str(out), "--chat-template", "builtin:tiny"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    question = json.loads(src.read_text().splitlines()[0])["question"]
    assert rows[0]["text"].startswith(f"<|im_start|>user\n{question}<|im_end|>\n<|im_start|>assistant\n")


def test_an_empty_input_is_one_message_whose_hint_does_not_repeat_it(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text("")
    result = CliRunner().invoke(main, ["format", str(path), "-o", str(tmp_path / "out.jsonl"), "--to", "alpaca"])
    assert result.exit_code == 1
    message = result.output.strip()
    assert message == f"Error: {path}: the file holds no records. Check that the right file was given.", message
    assert not (tmp_path / "out.jsonl").exists()


def test_an_output_that_cannot_be_written_is_one_message_not_a_traceback(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"instruction": "q", "output": "a"}) + "\n")
    blocker = tmp_path / "file"
    blocker.write_text("not a folder\n")
    result = CliRunner().invoke(main, ["format", str(src), "-o", str(blocker / "out.jsonl"), "--to", "alpaca"])
    assert result.exit_code == 1, result.output
    assert f"cannot write {blocker / 'out.jsonl'}: {blocker} is a file, not a folder" in result.output
    assert not isinstance(result.exception, OSError)
