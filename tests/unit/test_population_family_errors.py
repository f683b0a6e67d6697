"""Malformed Dynamics configs (tests/malformed_dynamics.py): file:line, key, value, rule, fix.

Each case must fail to read with a ConfigError one of whose lines names the
expected line and contains the expected text, and ``parnft validate`` on the
file must exit with code 2 and print that line.
"""

from __future__ import annotations

import pytest

from parnft.cli import main
from parnft.config import parse_config
from parnft.errors import ConfigError
from tests.malformed_cases import BASE
from tests.malformed_dynamics import DYNAMICS_CASES


def test_the_base_with_a_dynamics_population_is_valid():
    text = BASE.replace(" Firing: Function: Sigmoid Theta: 0.01292 Sigma: 0.0038 Qmax: 340",
                        " Dynamics: Relaxation tau: 0.01")
    spec = parse_config(text)
    assert spec.populations[0].dynamics.kind == "Relaxation"


@pytest.mark.parametrize("case", DYNAMICS_CASES, ids=[c[0] for c in DYNAMICS_CASES])
def test_malformed_dynamics_case(case, tmp_path, capsys):
    _, text, line, needle = case
    path = tmp_path / "m.conf"
    path.write_text(text)
    with pytest.raises(ConfigError) as e:
        parse_config(text, path=str(path))
    lines = str(e.value).splitlines()
    hit = [s for s in lines if f"{path}:{line}:" in s and needle in s]
    assert hit, lines
    assert all("; fix: " in s for s in lines)
    assert main(["validate", str(path)]) == 2
    assert hit[0] in capsys.readouterr().err
