"""Rubric loading: the shipped rubrics load, and each kind of mistake gives one clear message with file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from evalkit.errors import RubricError
from evalkit.rubric import load_rubric, shipped_rubrics

GOOD = """\
name: demo
description: a test rubric
criteria:
  - name: correct
    scorer: numeric_match
    weight: 2
    threshold: 1.0
  - name: short
    scorer: length
    params: {unit: words, max: 50}
    applies_to: {category: [math]}
"""


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "rubric.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def error(tmp_path: Path, text: str) -> str:
    with pytest.raises(RubricError) as info:
        load_rubric(write(tmp_path, text))
    return str(info.value)


def test_shipped_rubrics_load() -> None:
    names = set(shipped_rubrics())
    assert {"format_compliance", "gsm8k", "helpfulness_judge", "alpaca_eval"} <= names
    for name in names:
        loaded = load_rubric(name)
        assert loaded.rubric.name == name and loaded.scorers


def test_good_rubric_and_stable_hash(tmp_path: Path) -> None:
    a = load_rubric(write(tmp_path, GOOD))
    assert [c.name for c, _ in a.scorers] == ["correct", "short"]
    assert a.scorers[1][1].params.max == 50
    b = load_rubric(write(tmp_path, GOOD.replace("description: a test rubric", "description: reworded")))
    assert a.hash == b.hash  # descriptions do not change scores
    c = load_rubric(write(tmp_path, GOOD.replace("max: 50", "max: 51")))
    assert c.hash != a.hash
    d = load_rubric(write(tmp_path, GOOD.replace("params: {unit: words, max: 50}", "params: {unit: words, max: 50, min: null}")))
    assert d.hash == a.hash  # an explicit default is the same resolved rubric


def test_bad_yaml_names_line_and_column(tmp_path: Path) -> None:
    msg = error(tmp_path, GOOD.replace("    weight: 2\n", "    weight: 2\n   bad: [unclosed\n"))
    assert msg.startswith(f"{tmp_path / 'rubric.yaml'}:7:")
    assert "invalid YAML" in msg


def test_unknown_scorer_suggests_and_lists(tmp_path: Path) -> None:
    msg = error(tmp_path, GOOD.replace("scorer: numeric_match", "scorer: numeric_mach"))
    assert f"{tmp_path / 'rubric.yaml'}:5: criterion 'correct': unknown scorer 'numeric_mach'" in msg
    assert "did you mean 'numeric_match'?" in msg
    assert "known scorers: bleu, chrf, contains_all" in msg


def test_misspelt_param_names_the_scorer_and_known_params(tmp_path: Path) -> None:
    msg = error(tmp_path, GOOD.replace("{unit: words, max: 50}", "{unit: words, maxx: 50}"))
    assert f"{tmp_path / 'rubric.yaml'}:10: criterion 'short' (length): unknown param 'maxx'" in msg
    assert "did you mean 'max'?" in msg
    assert "known params: unit, min, max, tokenizer" in msg


def test_bad_param_value_and_missing_param(tmp_path: Path) -> None:
    msg = error(tmp_path, GOOD.replace("{unit: words, max: 50}", "{unit: pages, max: 50}"))
    assert ":10: criterion 'short' (length): unit: Input should be 'chars', 'words' or 'tokens'" in msg
    msg = error(tmp_path, GOOD.replace("scorer: numeric_match", "scorer: regex"))
    assert ":4: criterion 'correct' (regex): missing param 'pattern'" in msg
    msg = error(tmp_path, GOOD.replace("scorer: numeric_match", "scorer: regex\n    params: {pattern: '(unclosed'}"))
    assert "invalid regular expression '(unclosed'" in msg


def test_rubric_level_mistakes(tmp_path: Path) -> None:
    msg = error(tmp_path, GOOD.replace("criteria:", "critera:"))
    assert ":3: unknown field 'critera'; did you mean 'criteria'?" in msg
    msg = error(tmp_path, GOOD.replace("    weight: 2", "    wieght: 2"))
    assert ":6: unknown field 'wieght'; did you mean 'weight'?" in msg
    msg = error(tmp_path, GOOD.replace("weight: 2", "weight: -1"))
    assert ":6: criteria.0.weight: Input should be greater than 0" in msg
    msg = error(tmp_path, GOOD.replace("name: short", "name: correct"))
    assert "two criteria are named 'correct'" in msg
    assert "a rubric is a YAML mapping" in error(tmp_path, "- just\n- a list\n")
    assert "criteria" in error(tmp_path, "name: x\ncriteria: []\n")


def test_missing_file_lists_shipped_rubrics(tmp_path: Path) -> None:
    with pytest.raises(RubricError, match=r"not a shipped rubric .*gsm8k"):
        load_rubric(str(tmp_path / "nope.yaml"))


def test_judge_overrides_apply_to_judge_criteria_only() -> None:
    loaded = load_rubric("helpfulness_judge", judge_overrides={"backend": "fake", "model": "constant:[RESULT] 4", "base_url": None})
    params = {c.name: s.params for c, s in loaded.scorers}
    assert params["helpfulness"].backend == "fake" and params["helpfulness"].model == "constant:[RESULT] 4"
    assert params["helpfulness"].base_url == "http://127.0.0.1:8000/v1"  # None leaves the rubric's value
    assert loaded.hash != load_rubric("helpfulness_judge").hash


def test_schema_round_trips() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from schemas.generate import BackendOptions, GenerateOptions
    from schemas.rubric import AppliesTo, Criterion, Rubric

    names = st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True)
    criterion = st.builds(
        Criterion,
        name=names,
        scorer=names,
        params=st.dictionaries(names, st.integers() | st.text(max_size=5), max_size=3),
        weight=st.floats(min_value=0.01, max_value=100),
        threshold=st.none() | st.floats(min_value=0, max_value=1),
        applies_to=st.none() | st.builds(AppliesTo, category=st.none() | st.lists(names, max_size=2)),
    )
    rubrics = st.builds(Rubric, name=names, description=st.text(max_size=20), criteria=st.lists(criterion, min_size=1, max_size=3, unique_by=lambda c: c.name))
    options = st.builds(GenerateOptions, backend=st.builds(BackendOptions, model=names), name=st.none() | names)

    @settings(max_examples=50, deadline=None)
    @given(rubrics, options)
    def check(rubric: Rubric, opts: GenerateOptions) -> None:
        assert Rubric.model_validate_json(rubric.model_dump_json()) == rubric
        assert GenerateOptions.model_validate_json(opts.model_dump_json()) == opts

    check()
