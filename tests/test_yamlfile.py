"""The one YAML reader (unicx.yamlfile) and the files read through it: YAML 1.2 scalars, no
aliases, a size cap, syntax errors with their line and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from unicx.errors import ValidationError
from unicx.reports.funnel import parse_stages
from unicx.segments.files import read_definition, read_file
from unicx.yamlfile import YamlFileError, parse_yaml, read_mapping, read_yaml


def _file(tmp_path: Path, text: str, name: str = "f.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_yaml_1_2_scalars_stay_strings() -> None:
    data = parse_yaml("no: yes\ncountry: NO\nswitch: on\nat: 10:30\nday: 2024-06-01\n", name="f")
    assert data == {
        "no": "yes",
        "country": "NO",
        "switch": "on",
        "at": "10:30",
        "day": "2024-06-01",
    }
    typed = parse_yaml("a: true\nb: 3\nc: 2.5\nd: null\ne: ~\n", name="f")
    assert typed == {"a": True, "b": 3, "c": 2.5, "d": None, "e": None}


def test_an_alias_is_refused_with_its_place() -> None:
    with pytest.raises(YamlFileError, match="aliases") as caught:
        parse_yaml("a: &x [1, 2]\nb: *x\n", name="f.yaml")
    assert (caught.value.line, caught.value.column) == (2, 4)


def test_an_oversized_file_is_refused(tmp_path: Path) -> None:
    path = _file(tmp_path, "a: " + "x" * 200 + "\n")
    with pytest.raises(YamlFileError, match="larger than 100 bytes") as caught:
        read_yaml(path, max_bytes=100)
    assert caught.value.issues[0].rule == "too_large"


def test_a_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    path = _file(tmp_path, "name: ok\nnodes: [unclosed\n")
    with pytest.raises(YamlFileError) as caught:
        read_yaml(path)
    exc = caught.value
    assert exc.line is not None and exc.line >= 2 and exc.column is not None
    assert f"line {exc.line}, column {exc.column}" in exc.message
    assert exc.message.startswith("f.yaml: not valid YAML/JSON")
    assert exc.issues[0].field == "f.yaml"


def test_json_files_read_as_json_with_their_place(tmp_path: Path) -> None:
    assert read_yaml(_file(tmp_path, '{"no": [1, 2]}', "f.json")) == {"no": [1, 2]}
    with pytest.raises(YamlFileError) as caught:
        read_yaml(_file(tmp_path, '{\n  "a": 1,\n}', "g.json"))
    assert caught.value.line == 3


def test_values_without_a_json_form_and_non_objects_are_refused(tmp_path: Path) -> None:
    with pytest.raises(YamlFileError, match="JSON cannot"):
        parse_yaml("a: !!binary aGVsbG8=\n", name="f")
    with pytest.raises(YamlFileError, match="expected a thing"):
        read_mapping(_file(tmp_path, "- 1\n"), what="a thing")
    with pytest.raises(YamlFileError, match="not UTF-8"):
        path = tmp_path / "latin.yaml"
        path.write_bytes(b"a: \xe9\n")
        read_yaml(path)


def test_segment_files_follow_it(tmp_path: Path) -> None:
    # YAML 1.1 read this country code as false.
    path = _file(tmp_path, "all:\n  - trait: country\n    eq: no\n", "seg.yaml")
    assert read_definition(path) == {"all": [{"trait": "country", "eq": "no"}]}
    with pytest.raises(ValidationError, match="aliases"):
        read_file(_file(tmp_path, "a: &x 1\nb: *x\n", "alias.yaml"))
    big = _file(tmp_path, "a: " + "x" * (1024 * 1024) + "\n", "big.yaml")
    with pytest.raises(ValidationError, match="larger than"):
        read_file(big)


def test_funnel_files_follow_it(tmp_path: Path) -> None:
    path = _file(
        tmp_path,
        "stages:\n  - name: yes\n    types: [page]\n  - name: no\n    events: [x]\n",
        "funnel.yaml",
    )
    assert [s.name for s in parse_stages(path).stages] == ["yes", "no"]
    with pytest.raises(ValidationError, match="aliases"):
        parse_stages(_file(tmp_path, "stages: &s []\nagain: *s\n", "funnel.yaml"))
    with pytest.raises(ValidationError, match=r"line \d+, column \d+"):
        parse_stages(_file(tmp_path, "stages: [\n", "funnel.yaml"))
