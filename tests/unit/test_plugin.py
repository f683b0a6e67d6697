"""User plugins: the worked FitzHugh-Nagumo example of docs/models/write-your-own.md, and
broken plugin files (clear error naming the file, exit code 2).

The example plugin ``docs/models/fitzhugh_nagumo.py`` is loaded by the config's
``Plugin:`` key and by ``--plugin``; its V must equal an independent RK4
integration of FitzHugh-Nagumo written here to 1e-12 (same scheme, input held
constant; the two differ only by rounding).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import parnft
from parnft.api import load_spec, run
from parnft.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs" / "models"
CONF = DOCS / "fitzhugh_nagumo.conf"
PLUGIN = DOCS / "fitzhugh_nagumo.py"


def fhn_rk4(steps: int, dt: float, tau=0.01, a=0.7, b=0.8, eps=0.08, drive=0.3 + 0.1 * 2.0,
            v=-1.0, w=1.0) -> np.ndarray:
    """V after each of ``steps`` classical RK4 steps of FitzHugh-Nagumo (plain Python)."""

    def f(v, w):
        return (v - v ** 3 / 3.0 - w + drive) / tau, eps * (v + a - b * w) / tau

    out = np.empty(steps)
    for n in range(steps):
        k1 = f(v, w)
        k2 = f(v + dt / 2 * k1[0], w + dt / 2 * k1[1])
        k3 = f(v + dt / 2 * k2[0], w + dt / 2 * k2[1])
        k4 = f(v + dt * k3[0], w + dt * k3[1])
        v, w = (v + dt / 6 * (k1[0] + 2 * k2[0] + 2 * k3[0] + k4[0]),
                w + dt / 6 * (k1[1] + 2 * k2[1] + 2 * k3[1] + k4[1]))
        out[n] = v
    return out


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "parnft", *map(str, args)], capture_output=True,
                          text=True, env=_env(), cwd=cwd, timeout=300)


def test_worked_example_loaded_by_the_config_key_equals_an_independent_rk4(tmp_path):
    out, _ = run(str(CONF), str(tmp_path / "fhn.h5"), progress=False)
    ds = parnft.open_dataset(out)
    v = ds["pop.2.v"].values
    assert ds["pop.2.v"].attrs["units"] == "1" and ds["pop.2.q"].attrs["units"] == "s^-1"
    assert v.shape == (5000, 4, 4)
    ref = fhn_rk4(5000, 1e-4)
    err = np.abs(v - ref[:, None, None]).max()
    assert err < 1e-12, err
    assert np.ptp(ref) > 2.0  # it really travels round the limit cycle (a strong test)
    q = ds["pop.2.q"].values[:, 0, 0]
    np.testing.assert_allclose(q, 100.0 / (1.0 + np.exp(-v[:, 0, 0] / 0.5)), rtol=1e-14)


def test_the_same_example_through_the_plugin_option(tmp_path):
    conf = tmp_path / "fhn.conf"
    conf.write_text("".join(line for line in CONF.read_text().splitlines(True)
                            if not line.startswith("Plugin:")))
    r = cli("run", conf, "--plugin", PLUGIN, "-o", tmp_path / "b.h5", "-q")
    assert r.returncode == 0, r.stderr
    v = parnft.open_dataset(tmp_path / "b.h5")["pop.2.v"].values
    assert np.abs(v - fhn_rk4(5000, 1e-4)[:, None, None]).max() < 1e-12
    r = cli("models", "FitzHughNagumo", "--plugin", PLUGIN)
    assert r.returncode == 0 and "tau [s] default 0.01" in r.stdout and "eps (V + a - b W)" in \
        r.stdout and str(PLUGIN) in r.stdout
    # without the plugin the kind is unknown: exit 2 naming the plugin options
    r = cli("validate", conf)
    assert r.returncode == 2 and "unknown Dynamics kind 'FitzHughNagumo'" in r.stderr
    assert "--plugin FILE" in r.stderr


GOOD = PLUGIN.read_text()

BROKEN = {
    "syntax": (GOOD.replace("def rhs(s, inp, p):", "def rhs(s, inp, p)"),
               "does not import (SyntaxError", "python FILE"),
    "import": ("import no_such_module_xyz\n" + GOOD, "does not import (ModuleNotFoundError",
               "python FILE"),
    "field": (GOOD.replace("    rate=rate,\n", ""), "missing 1 required", "every field"),
    "nokind": (GOOD.replace("KIND = Dynamics(", "OTHER = Dynamics("), "defines no kind",
               "KIND = Dynamics"),
    "compile": (GOOD.replace("    drive = i0 + k * inp\n",
                             "    drive = i0 + k * inp + math.no_such_function(inp)\n"),
                "rhs of kind FitzHughNagumo does not compile with numba", "scalars and tuples"),
    "arity": (GOOD.replace("eps * (v + a - b * w) / tau)", "eps * (v + a - b * w) / tau, 0.0)"),
              "returns 3 value(s) but the kind has 2", "tuple of 2"),
    "clash": (GOOD.replace('Var("W", "1", 1.0', 'Var("Q", "1", 1.0'), "clashes with the output",
              "rename"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_plugin_names_the_file_and_the_fix(tmp_path, case):
    text, rule, fix = BROKEN[case]
    bad = tmp_path / f"bad_{case}.py"
    bad.write_text(text.replace('name="FitzHughNagumo"', f'name="Fhn{case}"'))
    with pytest.raises(ConfigError) as e:
        load_spec(str(CONF), None, plugins=[str(bad)])
    (p,) = e.value.problems
    assert p.path == str(bad) and p.key == "Plugin"
    assert rule in p.rule.replace(f"Fhn{case}", "FitzHughNagumo"), p
    assert fix in p.fix, p
    if case in ("syntax", "compile"):
        assert p.line > 0  # the line of the broken definition


def test_broken_plugin_exits_2_naming_the_file(tmp_path):
    bad = tmp_path / "broken.py"
    bad.write_text(BROKEN["compile"][0])
    r = cli("validate", CONF, "--plugin", bad)
    assert r.returncode == 2
    assert f"{bad}:" in r.stderr and "does not compile with numba" in r.stderr
    conf = tmp_path / "m.conf"
    conf.write_text(CONF.read_text().replace("Plugin: fitzhugh_nagumo.py", "Plugin: nowhere.py"))
    r = cli("run", conf, "-o", tmp_path / "x.h5")
    assert r.returncode == 2 and f"{conf}:4: Plugin = nowhere.py" in r.stderr
    assert "not found" in r.stderr and not (tmp_path / "x.h5").exists()
