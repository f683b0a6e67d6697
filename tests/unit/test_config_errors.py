"""Every malformed config gives a ConfigError naming the line and the problem."""

from __future__ import annotations

import pickle

import pytest

from parnft.config import parse_config, read_config
from parnft.errors import ConfigError, Problem, StabilityError
from tests.malformed_cases import BASE, CASES, blank, mutate


def test_enough_distinct_cases():
    ids = [c[0] for c in CASES]
    assert len(ids) >= 45
    assert len(set(ids)) == len(ids)
    assert len({c[1] for c in CASES}) == len(CASES)  # every text differs


def test_base_is_valid():
    spec = parse_config(BASE, path="base.conf")
    assert len(spec.connections) == 2 and spec.grid.nodes == 16


def test_mutation_helpers():
    assert mutate("Q: 10", "Q: 11").count("Q: 11") == 1
    with pytest.raises(ValueError):
        mutate("Length: 0.5", "x")  # occurs twice
    assert blank(" Q: 10\n").count("\n") == BASE.count("\n")


@pytest.mark.parametrize("case_id,text,line,substring", CASES, ids=[c[0] for c in CASES])
def test_malformed_case(case_id, text, line, substring):
    with pytest.raises(ConfigError) as err:
        parse_config(text, path="case.conf")
    exc = err.value
    lines = str(exc).splitlines()
    assert exc.problems, "a ConfigError must carry its problems"
    assert len(lines) == len(exc.problems)
    assert all(ln.startswith("case.conf:") for ln in lines)
    hits = [ln for ln in lines if f":{line}:" in ln and substring in ln]
    assert hits, f"{case_id}: expected line {line} with {substring!r} in:\n" + str(exc)
    assert [p.line for p in exc.problems] == sorted(p.line for p in exc.problems)
    assert isinstance(exc, StabilityError) == (case_id == "courant")


@pytest.mark.parametrize("case_id,text,line,substring", CASES[:5], ids=[c[0] for c in CASES[:5]])
def test_malformed_file(tmp_path, case_id, text, line, substring):
    path = tmp_path / f"{case_id}.conf"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        read_config(path)
    assert any(ln.startswith(f"{path}:{line}:") and substring in ln
               for ln in str(err.value).splitlines())


def test_problem_fields():
    with pytest.raises(ConfigError) as err:
        parse_config(mutate("Coupling 1: Map - nu:", "Coupling 1: Map - nus:"), path="x.conf")
    p = err.value.problems[0]
    assert p == Problem("x.conf", 24, "Coupling 1: nus", "1e-4",
                        "unknown key 'nus' in Coupling 1 (Map)", "did you mean 'nu'?")
    assert str(p) == ("x.conf:24: Coupling 1: nus = 1e-4: unknown key 'nus' in Coupling 1 (Map); "
                      "fix: did you mean 'nu'?")


def test_errors_pickle():
    for cls_case in ("courant", "non-numeric-q"):
        text = dict((c[0], c[1]) for c in CASES)[cls_case]
        with pytest.raises(ConfigError) as err:
            parse_config(text)
        back = pickle.loads(pickle.dumps(err.value))
        assert type(back) is type(err.value)
        assert back.problems == err.value.problems and str(back) == str(err.value)


def test_empty_and_garbage_texts():
    for text in ("", "just a comment: with colons and Output\n"):
        with pytest.raises(ConfigError) as err:
            parse_config(text)
        msg = str(err.value)
        assert "the model has no 'Time:'" in msg
        assert "no 'Connection matrix:'" in msg and "no Output block" in msg


def test_value_shortened_to_one_line():
    text = mutate("Coupling 1: Map - nu: 1e-4", "Coupling 1: Map - nu: " + " ".join(["1"] * 40))
    with pytest.raises(ConfigError) as err:
        parse_config(text)
    (p,) = err.value.problems
    assert len(p.value) <= 60 and "\n" not in str(p)
