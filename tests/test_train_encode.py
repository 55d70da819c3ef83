"""Data adapter and pre-flight on builtin:tiny's tokenizer: exact labels, EOS with pad == eos, planted template faults."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("CURATEKIT_CACHE", str(Path(tempfile.gettempdir()) / "curatekit-test-cache"))

pytest.importorskip("transformers")
pytestmark = pytest.mark.slow  # builds builtin:tiny into the cache on first use (seconds)

from schemas.records import ChatRecord, InstructionRecord, Message, PreferenceRecord  # noqa: E402
from schemas.train import TrainConfig  # noqa: E402
from train_plugin.data import LoadedData, split_eval  # noqa: E402
from train_plugin.encode import IGNORE, PadCollator, encode_messages, stop_token_ids, tokenize  # noqa: E402
from train_plugin.errors import PreflightError  # noqa: E402
from train_plugin.models import load_tokenizer  # noqa: E402
from train_plugin.preflight import prepare, require_ok  # noqa: E402
from train_plugin.templates import DEFAULT_CHAT_TEMPLATE, record_to_messages, render_conversation, render_prompt  # noqa: E402

# ChatML with the <|im_end|> after the assistant turn removed: the model would never learn to stop.
NO_EOS_TEMPLATE = (
    "{% for m in messages %}{% if m['role'] == 'assistant' %}{{ '<|im_start|>assistant\n' + m['content'] + '\n' }}"
    "{% else %}{{ '<|im_start|>' + m['role'] + '\n' + m['content'] + '<|im_end|>\n' }}{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
# The generation prompt says "assistant" but training renders "ASSISTANT": inference and training disagree.
MISMATCH_TEMPLATE = (
    "{% for m in messages %}{{ '<|im_start|>' + (m['role'] | upper if m['role'] == 'assistant' else m['role']) + '\n' + m['content'] + '<|im_end|>\n' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


@pytest.fixture(scope="module")
def tok():  # type: ignore[no-untyped-def]
    return load_tokenizer("builtin:tiny")


def _loaded(records: list) -> LoadedData:  # type: ignore[type-arg]
    return LoadedData(paths=["mem"], records=records, rows=len(records), invalid=0)


def test_tiny_has_pad_equal_eos(tok) -> None:  # type: ignore[no-untyped-def]
    assert tok.pad_token_id == tok.eos_token_id == tok.convert_tokens_to_ids("<|im_end|>")


def test_instruction_and_input_are_joined_by_a_blank_line() -> None:
    r = InstructionRecord(instruction="Translate to French.", input="Good morning", output="Bonjour")
    assert record_to_messages(r) == [
        {"role": "user", "content": "Translate to French.\n\nGood morning"},
        {"role": "assistant", "content": "Bonjour"},
    ]
    assert record_to_messages(InstructionRecord(instruction="Say hi.", output="hi"))[0]["content"] == "Say hi."


def test_labels_cover_exactly_the_answer_and_its_eos(tok) -> None:  # type: ignore[no-untyped-def]
    record = InstructionRecord(instruction="Add", input="2+2", output="4")
    messages = record_to_messages(record)
    prompt = "<|im_start|>user\nAdd\n\n2+2<|im_end|>\n<|im_start|>assistant\n"
    assert render_prompt(tok, messages[:1]) == prompt
    assert render_conversation(tok, messages) == prompt + "4<|im_end|>\n"
    enc = encode_messages(tok, messages, 512, "truncate", stop_token_ids(tok))
    p, c = tokenize(tok, prompt), tokenize(tok, "4<|im_end|>\n")
    assert enc.input_ids == p + c
    assert enc.labels == [IGNORE] * len(p) + c
    assert tok.eos_token_id in c  # EOS is trained although pad == eos
    assert enc.ends_with_stop is True


def test_collator_masks_padding_but_not_eos_when_pad_is_eos(tok) -> None:  # type: ignore[no-untyped-def]
    long = encode_messages(tok, record_to_messages(InstructionRecord(instruction="Add two and two please", output="four")), 512, "truncate", set())
    short = encode_messages(tok, record_to_messages(InstructionRecord(instruction="Add", output="4")), 512, "truncate", set())
    batch = PadCollator(tok.pad_token_id)([{"input_ids": e.input_ids, "labels": e.labels} for e in (long, short)])
    n = len(short.input_ids)
    row_ids, row_labels = batch["input_ids"][1].tolist(), batch["labels"][1].tolist()
    assert row_ids[n:] == [tok.pad_token_id] * (len(long.input_ids) - n)
    assert row_labels[n:] == [IGNORE] * (len(long.input_ids) - n)
    eos_positions = [i for i in range(n) if row_ids[i] == tok.eos_token_id and row_labels[i] != IGNORE]
    assert eos_positions, "the answer's EOS must keep its label even though it equals the pad id"
    assert batch["attention_mask"][1].tolist() == [1] * n + [0] * (len(long.input_ids) - n)


def test_multi_turn_chat_trains_every_assistant_turn_and_no_user_turn(tok) -> None:  # type: ignore[no-untyped-def]
    chat = ChatRecord(messages=[Message(role="user", content="hi"), Message(role="assistant", content="hello"),
                                Message(role="user", content="bye"), Message(role="assistant", content="goodbye")])
    enc = encode_messages(tok, record_to_messages(chat), 512, "truncate", stop_token_ids(tok))
    trained = tok.decode([t for t in enc.labels if t != IGNORE])
    assert trained == "hello<|im_end|>\ngoodbye<|im_end|>\n"


def test_truncation_is_counted_and_overlong_can_drop(tok) -> None:  # type: ignore[no-untyped-def]
    records = [InstructionRecord(instruction="Q", output="word " * 200), InstructionRecord(instruction="Q", output="short")]
    rep = prepare(_loaded(records), tok, TrainConfig(max_length=64)).report
    assert (rep.truncated, rep.kept, rep.dropped) == (1, 2, {})
    assert rep.eos_checked == 1 and rep.eos_share == 1.0
    assert rep.length_hist[-1].low == 64 and rep.length_hist[-1].count == 1
    assert any("set `overlong: drop` in the --config YAML" in w for w in rep.warnings)
    dropped = prepare(_loaded(records), tok, TrainConfig(max_length=64, overlong="drop")).report
    assert (dropped.kept, dropped.dropped) == (1, {"overlong": 1})


def test_prompt_longer_than_max_length_leaves_nothing_to_train(tok) -> None:  # type: ignore[no-untyped-def]
    rep = prepare(_loaded([InstructionRecord(instruction="long " * 100, output="x")]), tok, TrainConfig(max_length=16)).report
    assert rep.trainable_tokens == 0
    assert rep.dropped == {"no_trainable_tokens_after_truncation": 1}
    with pytest.raises(PreflightError, match="zero trainable tokens"):
        require_ok(rep)


def test_template_that_drops_eos_is_caught(tok) -> None:  # type: ignore[no-untyped-def]
    tok_bad = load_tokenizer("builtin:tiny")
    tok_bad.chat_template = NO_EOS_TEMPLATE
    records = [InstructionRecord(instruction=f"Q{i}", output=f"A{i}") for i in range(5)]
    rep = prepare(_loaded(records), tok_bad, TrainConfig()).report
    assert rep.eos_share == 0.0 and not rep.ok
    with pytest.raises(PreflightError, match="missing EOS"):
        require_ok(rep)
    assert prepare(_loaded(records), tok, TrainConfig()).report.ok


def test_prefix_mismatch_is_caught(tok) -> None:  # type: ignore[no-untyped-def]
    tok_bad = load_tokenizer("builtin:tiny")
    tok_bad.chat_template = MISMATCH_TEMPLATE
    rep = prepare(_loaded([InstructionRecord(instruction="Q", output="A")]), tok_bad, TrainConfig()).report
    assert rep.mismatches == 1 and rep.dropped == {"prefix_mismatch": 1}
    assert any("mismatch" in e for e in rep.errors)


def test_default_template_for_template_less_tokenizer_ends_with_eos(tok) -> None:  # type: ignore[no-untyped-def]
    plain = load_tokenizer("builtin:tiny")
    plain.chat_template = None
    messages = record_to_messages(InstructionRecord(instruction="Q", output="A"))
    assert render_conversation(plain, messages) == "### User:\nQ\n\n### Assistant:\nA<|im_end|>\n\n"
    rep = prepare(_loaded([InstructionRecord(instruction="Q", output="A")]), plain, TrainConfig()).report
    assert rep.chat_template == "default" and rep.ok and rep.eos_share == 1.0
    assert DEFAULT_CHAT_TEMPLATE.count("eos_token") == 1


def test_plan_run_reports_and_warns_when_the_model_has_no_chat_template(tmp_path: Path) -> None:
    import json
    import shutil

    from train_plugin.models import resolve_model
    from train_plugin.runner import dry_run, plan_run

    bare = tmp_path / "no-template-model"
    shutil.copytree(resolve_model("builtin:tiny"), bare)
    (bare / "chat_template.jinja").unlink()  # builtin:tiny keeps its template here, not in tokenizer_config.json
    assert "chat_template" not in json.loads((bare / "tokenizer_config.json").read_text())
    assert not load_tokenizer(str(bare)).chat_template
    data = tmp_path / "data.jsonl"
    data.write_text(json.dumps({"instruction": "Q", "input": "", "output": "A"}) + "\n")

    plan = plan_run(str(data), str(bare), TrainConfig())
    rep = plan.prepared.report
    assert rep.chat_template == "default" and rep.ok and rep.eos_share == 1.0
    assert any("no chat template" in w and "### User / ### Assistant" in w for w in rep.warnings)
    assert "### User:" in rep.example and "### Assistant:" in rep.example
    assert plan.tokenizer.chat_template == DEFAULT_CHAT_TEMPLATE  # saved with the adapter, so inference renders the same way
    assert dry_run(str(data), str(bare), TrainConfig()) == rep

    shipped = plan_run(str(data), "builtin:tiny", TrainConfig()).prepared.report
    assert shipped.chat_template == "model" and not any("no chat template" in w for w in shipped.warnings)
    assert shipped.pad_is_eos and shipped.warnings == []  # pad == eos is shown in the report, not warned about: EOS is still trained


def test_dpo_preflight_encodes_both_answers(tok) -> None:  # type: ignore[no-untyped-def]
    pair = PreferenceRecord(prompt="Is it safe?", chosen="Yes, with care.", rejected="No idea.")
    prepared = prepare(_loaded([pair]), tok, TrainConfig(method="dpo"))
    assert prepared.report.examples == 2 and prepared.pairs == [pair]
    assert "[[Yes, with care.<|im_end|>\n]]" in prepared.report.example


def test_eval_split_is_seeded_and_disjoint() -> None:
    items = list(range(100))
    a = split_eval(items, 0.1, 200, seed=1)
    assert a == split_eval(items, 0.1, 200, seed=1)
    assert len(a[1]) == 10 and not set(a[0]) & set(a[1])
    assert split_eval(items, 0.1, 200, seed=2) != a
    assert split_eval([1, 2, 3], 0.1, 200, seed=1) == ([1, 2, 3], [])


def test_template_that_rejects_a_record_names_it(tok) -> None:  # type: ignore[no-untyped-def]
    from train_plugin.errors import DataError

    strict = load_tokenizer("builtin:tiny")
    strict.chat_template = "{% for m in messages %}{% if m['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}{{ m['content'] }}{% endfor %}"
    chat = ChatRecord(id="r7", messages=[Message(role="system", content="be brief"), Message(role="user", content="hi"), Message(role="assistant", content="yo")])
    with pytest.raises(DataError, match="record r7: the chat template cannot render it: System role not supported"):
        prepare(_loaded([chat]), strict, TrainConfig())
