"""A new population kind is one module and one registry line, for real.

* A kind defined in a temporary module outside the package and registered
  with one line validates (its keys, ranges and choices read from the
  declaration), runs in the compiled loop, writes Q and its state variables
  with their units to HDF5, reads back with ``parnft.open_dataset``, and shows
  up in ``parnft models`` and ``parnft validate``'s summary: nothing else changes.
* Layering: no file of ``parnft/`` outside ``parnft/model/dynamics/`` names a
  built-in Dynamics kind in its code (identifiers or non-docstring strings),
  and no kind name is also the name of an NFTsim kind.
"""

from __future__ import annotations

import ast
import importlib
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import parnft
from parnft.api import run
from parnft.cli import main
from parnft.config import describe, parse_config
from parnft.errors import ConfigError

PKG = Path(parnft.__file__).resolve().parent

MODULE = '''
"""A damped linear oscillator with a choice of output (test kind)."""
from parnft.kernels import inline
from parnft.model.declare import Choice, Dynamics, Param, Var


@inline
def rhs(s, inp, p):
    x, y = s
    return (y, inp - p[0] * p[0] * x - 2.0 * p[1] * p[0] * y)


@inline
def rate(s, p):
    return p[3] + p[4] * (s[0] if p[2] == 0.0 else s[1])


KIND = Dynamics(
    name="{name}",
    params=(Param("omega", "s^-1", 60.0, lo=0.0, lo_open=True),
            Param("zeta", "1", 0.1, lo=0.0),
            Choice("out", ("x", "y"), "x"),
            Param("Q0", "s^-1", 5.0),
            Param("c", "s^-1", 1.0)),
    state=(Var("x", "m", 0.5), Var("y", "m s^-1", 0.0)),
    rhs=rhs, rate=rate,
    equation="x'' + 2 zeta omega x' + omega^2 x = inp;  Q = Q0 + c*(x or y)",
    input_unit="V",
    timescale=lambda p: 1.0 / p["omega"],
)
'''

CONF = """one-module test
Time: 0.01 Deltat: 1e-4
Nodes: 9

    Connection matrix:
From:  1  2
To 1:  0  0
To 2:  1  0

Population 1: Drive
 Length: 0.3
 Stimulus: Const - Mean: 4

Population 2: Osc
 Length: 0.3
 Dynamics: {name} omega: 80 out: y x_0: 0.25

Propagator 1: Map - Tau: 0
Coupling 1: Map - nu: 0.5

Output: Node: All
Population: 2
"""


@pytest.fixture(scope="module")
def kind(tmp_path_factory):
    folder = tmp_path_factory.mktemp("outside")
    name = f"OneModuleOsc{abs(hash(str(folder))) % 10**6}"
    (folder / "onemodule_osc.py").write_text(textwrap.dedent(MODULE.format(name=name)))
    sys.path.insert(0, str(folder))
    try:
        mod = importlib.import_module("onemodule_osc")
        from parnft.model.dynamics import register

        register(mod.KIND, mod.__name__)  # the one registry line
    finally:
        sys.path.remove(str(folder))
    return name


def test_outside_kind_validates_runs_writes_and_reads_back(kind, tmp_path):
    text = CONF.format(name=kind)
    spec = parse_config(text)
    summary = describe(spec)
    assert f"dynamics  {kind} (x, y)" in summary
    conf = tmp_path / "m.conf"
    conf.write_text(text)
    out, _ = run(str(conf), str(tmp_path / "m.h5"), progress=False)
    ds = parnft.open_dataset(out)
    assert {k: ds[k].attrs["units"] for k in ("pop.2.q", "pop.2.x", "pop.2.y")} == \
        {"pop.2.q": "s^-1", "pop.2.x": "m", "pop.2.y": "m s^-1"}
    x, y, q = (ds[k].values for k in ("pop.2.x", "pop.2.y", "pop.2.q"))
    assert x.shape == (100, 3, 3) and np.all(np.isfinite(x))
    np.testing.assert_array_equal(q, 5.0 + y)  # out: y chosen by word
    # forced by nu * Q = 2 from x(0) = 0.25: the oscillator rings towards 2 / 80^2
    assert x[0, 0, 0] < 0.25 and abs(x[-1, 0, 0] - 0.25) > 0.01


def test_outside_kind_keys_ranges_and_choices_come_from_the_declaration(kind):
    text = CONF.format(name=kind)
    for edit, rule, fix in [
        (("out: y", "out: z"), "'z' is not a choice of out", "write one of x, y"),
        (("omega: 80", "omega: 0"), "omega must be > 0 [s^-1]", "default 60"),
        (("omega: 80", "omegax: 80"), "unknown key 'omegax'", "did you mean 'omega'"),
        (("omega: 80", "omega: 2000"), "step-size rule violated", "use Deltat <= 5e-05 s"),
    ]:
        with pytest.raises(ConfigError) as e:
            parse_config(text.replace(*edit))
        (p,) = e.value.problems
        assert rule in p.rule and fix in p.fix, p


def test_outside_kind_is_listed_by_parnft_models(kind, capsys):
    assert main(["models"]) == 0
    listing = capsys.readouterr().out
    assert kind in listing and "keys: omega, zeta, out, Q0, c, x_0, y_0" in listing
    assert main(["models", kind]) == 0
    detail = capsys.readouterr().out
    assert "out: one of x | y, default x" in detail and "omega [s^-1] default 60, > 0" in detail
    assert "outputs: Q [s^-1], x [m], y [m s^-1]; input [V]" in detail
    assert "defined in: onemodule_osc" in detail


# -- layering -----------------------------------------------------------------------------------

def builtin_kind_names() -> set[str]:
    from parnft.model import dynamics

    return {importlib.import_module(f"parnft.model.dynamics.{m}").KIND.name
            for m in dynamics.KINDS}


def _code_words(tree: ast.AST) -> set[str]:
    """Identifiers, attributes and non-docstring string constants of a module."""
    docs = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docs.add(id(body[0].value))
    words = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            words.add(node.id)
        elif isinstance(node, ast.Attribute):
            words.add(node.attr)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and id(node) not in docs:
            words.update(node.value.replace(":", " ").replace(",", " ").split())
    return words


def test_no_file_outside_the_dynamics_package_names_a_dynamics_kind():
    names = builtin_kind_names()
    assert "Relaxation" in names
    offenders = []
    for path in sorted(PKG.rglob("*.py")):
        if (PKG / "model" / "dynamics") in path.parents:
            continue
        hits = names & _code_words(ast.parse(path.read_text(), str(path)))
        if hits:
            offenders.append(f"{path.relative_to(PKG.parent)}: {', '.join(sorted(hits))}")
    assert not offenders, "Dynamics kinds named outside parnft/model/dynamics: " + \
        "; ".join(offenders)


def test_the_layering_check_catches_a_kind_named_in_code():
    tree = ast.parse('"""Docs may say Relaxation."""\nx = {"Relaxation": 1}\n')
    assert "Relaxation" in _code_words(tree)
    assert "Relaxation" not in _code_words(ast.parse('"""Docs may say Relaxation."""\n'))


def test_kind_names_do_not_clash_with_nftsim_kinds():
    from parnft.config import keys as K

    nftsim = (set(K.FIRING_KINDS) | set(K.FUNCTIONS) | set(K.STIMULUS_MODES)
              | set(K.DENDRITE_KINDS) | set(K.PROPAGATOR_KINDS) | set(K.COUPLING_KINDS))
    assert not builtin_kind_names() & nftsim
