"""Fuzzer: mutated shipped configs never make ``validate`` raise anything but a parnft error,
and a mutant it accepts runs (shortened) to a complete, finite file.

A seeded mutator of our own (no extra dependency): each mutant is one of the
shipped models (``configs/*.conf``, ``configs/bench/*.conf`` and NFTsim's
shipped configs from ``shared/nftsim-ref``) with one to three random edits:

* a number replaced by an extreme (0, -0, negative, 1e308, 1e-320,
  4.9e-324, 1e16, 1e300, nan, inf, a word, a scaled copy of itself);
* a line deleted, duplicated or swapped with the next;
* a key's colon dropped (``Tau 0.0425``), a key and its value deleted or
  repeated, a stray word added after a value;
* a kind word swapped (``Wave`` -> ``Harmonic``, ``Sigmoid`` -> ``Cubic``,
  sometimes for a word of another family);
* a control character (NUL, form feed, ESC, DEL, U+2028) inserted.

Properties:

1. ``parnft validate`` (:func:`parnft.commands.validate._validate`, the
   whole command but the printing) either accepts the mutant or raises a
   :class:`~parnft.errors.ParnftError` (ConfigError or ResourceError);
2. for up to :data:`RUNS` accepted mutants of the small bases, ``parnft
   run`` (:func:`parnft.api.run`, shortened to :data:`STEPS` steps with every
   step written) raises no ConfigError: it writes an HDF5 file marked
   complete with every sample finite and one dataset per field of the Output
   list, of the listed nodes; or it stops with a RunError (the model
   diverged, which is detected, not silent).

``PARNFT_FUZZ_SEED`` and ``PARNFT_FUZZ_MUTANTS`` change the seed (default
fixed, so CI is reproducible) and the count; a failure names the seed, the
mutant number and its edits.
"""

from __future__ import annotations

import dataclasses
import os
import random
import re
import traceback
from pathlib import Path

import numpy as np
import pytest

from parnft.config import keys as K
from parnft.config import parse_config
from parnft.errors import ConfigError, ParnftError, RunError
from tests.malformed_cases import BASE
from tests.refdata import REPO, shared_dir

SEED = int(os.environ.get("PARNFT_FUZZ_SEED", "20261202"))
MUTANTS = int(os.environ.get("PARNFT_FUZZ_MUTANTS", "600"))
#: Accepted mutants that are also run (each new model structure compiles a loop).
RUNS = int(os.environ.get("PARNFT_FUZZ_RUNS", "40"))
STEPS = 6
#: Bases small enough to run; the others are only validated.
RUN_BASES = ("malformed-base", "configs/eirs-corticothalamic.conf", "configs/e-erps.conf")

EXTREMES = ("0", "-0", "-1", "1", "2", "1e308", "-1e308", "1e-320", "4.9e-324", "1e16",
            "1e300", "1e9", "nan", "inf", "-inf", "abc", "1.5", "0.0001", "7e-5", "65536",
            "1e30", "-2.5e-3", "1_0", "0x10", "1e400")
WORDS = ("oldvalue", "Tau", "Range 0.3", "Node", "All", "Steady", "-", "x", "Qmax", "1.Q",
         "Population", "Longside nodes", "Function")
CONTROL = ("\x00", "\x0c", "\x1b", "\x7f", "\u2028", "\x0b", "\x85")
KIND_FAMILIES = (K.PROPAGATOR_KINDS, tuple(K.COUPLING_KINDS), K.DENDRITE_KINDS,
                 tuple(K.STIMULUS_MODES), K.FIRING_KINDS, tuple(K.FUNCTIONS))
_NUM = re.compile(r"(?<![\w.])[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?(?![\w.])")
_KEY = re.compile(r"([A-Za-z][A-Za-z_]*):")


def _kind_re(words: tuple[str, ...]) -> re.Pattern:
    alts = "|".join(sorted(map(re.escape, words), key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?:{alts})(?![\w-])")


def bases() -> list[tuple[str, str]]:
    """(name, text) of every shipped model (NFTsim's when the shared folder is there)."""
    out = [("malformed-base", BASE)]
    for p in sorted((REPO / "configs").rglob("*.conf")):
        out.append((str(p.relative_to(REPO)), p.read_text()))
    ref = shared_dir() / "nftsim-ref"
    for p in sorted(ref.rglob("*.conf")):
        out.append((f"nftsim/{p.relative_to(ref)}", p.read_text(errors="replace")))
    return out


class Mutator:
    """One random edit of a config text per call; every choice comes from ``rng``."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def value(self, text: str) -> tuple[str, str]:
        nums = list(_NUM.finditer(text))
        if not nums:
            return "no number", text
        m = self.rng.choice(nums)
        r = self.rng.random()
        if r < 0.6:
            new = self.rng.choice(EXTREMES)
        elif r < 0.8:
            new = f"{float(m.group()) * 10.0 ** self.rng.randint(-12, 12):.6g}"
        else:
            new = f"{-float(m.group()):.6g}"
        return f"number {m.group()!r} -> {new!r}", text[:m.start()] + new + text[m.end():]

    def lines(self, text: str) -> tuple[str, str]:
        ls = text.split("\n")
        i = self.rng.randrange(len(ls))
        how = self.rng.choice(("delete", "duplicate", "swap"))
        if how == "delete":
            ls[i] = ""
        elif how == "duplicate":
            ls.insert(i, ls[i])
        elif i + 1 < len(ls):
            ls[i], ls[i + 1] = ls[i + 1], ls[i]
        return f"{how} line {i + 1}", "\n".join(ls)

    def key(self, text: str) -> tuple[str, str]:
        keys = list(_KEY.finditer(text))
        if not keys:
            return "no key", text
        m = self.rng.choice(keys)
        how = self.rng.choice(("colon", "delete", "repeat", "stray"))
        after = text[m.end():]
        val = re.match(r"\s*\S*", after).group()
        if how == "colon":
            return f"drop colon of {m.group()}", text[:m.start()] + m.group(1) + after
        if how == "delete":
            return f"delete {m.group()}{val}", text[:m.start()] + after[len(val):]
        if how == "repeat":
            return (f"repeat {m.group()}{val}",
                    text[:m.end()] + val + " " + m.group() + val + after[len(val):])
        word = self.rng.choice(WORDS)
        return (f"stray {word!r} after {m.group()}{val}",
                text[:m.end()] + val + " " + word + after[len(val):])

    def kind(self, text: str) -> tuple[str, str]:
        """A kind word (``Wave``, ``Sigmoid``, ``PulseRect``, ...) swapped for another one."""
        body = text.find("Time:") + 1
        found = [(m, fam) for fam in KIND_FAMILIES for m in _kind_re(fam).finditer(text, body)]
        if not found:
            return "no kind", text
        m, fam = self.rng.choice(found)
        pool = fam if self.rng.random() < 0.8 else tuple(w for f in KIND_FAMILIES for w in f)
        new = self.rng.choice(pool)
        return f"kind {m.group()} -> {new}", text[:m.start()] + new + text[m.end():]

    def control(self, text: str) -> tuple[str, str]:
        i = self.rng.randrange(len(text) + 1)
        ch = self.rng.choice(CONTROL)
        return f"insert U+{ord(ch):04X} at {i}", text[:i] + ch + text[i:]

    def mutate(self, text: str) -> tuple[list[str], str]:
        """1 to 3 edits (values most often, so compiled loops are reused by the runs)."""
        edits = []
        for _ in range(self.rng.choice((1, 1, 1, 2, 3))):
            op = self.rng.choices((self.value, self.lines, self.key, self.kind, self.control),
                                  weights=(6, 2, 3, 1, 1))[0]
            what, text = op(text)
            edits.append(what)
        return edits, text


def mutants(n: int = MUTANTS, seed: int = SEED):
    """``(number, base name, edits, text)`` for ``n`` mutants, reproducibly."""
    rng = random.Random(seed)
    pool = bases()
    small = [b for b in pool if b[0] in RUN_BASES]
    mut = Mutator(rng)
    for i in range(n):  # one in three from the bases that are also run
        name, text = pool[rng.randrange(len(pool))] if i % 3 else rng.choice(small)
        edits, new = mut.mutate(text)
        yield i, name, edits, new


def test_mutator_is_reproducible_and_mutates():
    a = [(n, e, t) for _, n, e, t in mutants(30, seed=7)]
    b = [(n, e, t) for _, n, e, t in mutants(30, seed=7)]
    assert a == b
    assert sum(t != dict(bases())[n] for n, _, t in a) >= 25  # a few edits can be no-ops
    ops = {e.split()[0] for _, es, _ in a for e in es}
    assert {"number", "drop", "insert", "kind"} & ops


def _expected_columns(spec) -> dict[str, int]:
    """``nftsim_name -> nodes`` the file must hold, from the Output list and the field tables."""
    o = spec.output
    pops = {p.index: p for p in spec.populations}
    fields = {
        "Population": lambda k: (K.FIRING_FIELDS[pops[k].firing.kind] if pops[k].firing
                                 else K.STIMULUS_FIELDS),
        "Dendrite": lambda k: K.default_fields("Dendrite", spec.dendrites[k - 1].kind,
                                               K.DENDRITE_FIELDS[spec.dendrites[k - 1].kind]),
        "Propagator": lambda k: K.PROPAGATOR_FIELDS[spec.propagators[k - 1].kind],
        "Coupling": lambda k: K.COUPLING_FIELDS[spec.couplings[k - 1].kind],
    }
    prefix = {"Population": "Pop"}
    nodes = len(o.nodes) or spec.grid.nodes
    out = {}
    for fam in K.OUTPUT_FAMILIES:
        for item in getattr(o, fam.lower()):
            num, _, fname = item.partition(".")
            for f in ([fname] if fname else fields[fam](int(num))):
                out[f"{prefix.get(fam, fam)}.{num}.{f}"] = nodes
    return out


def _run_short(spec, conf: Path, out: Path, monkeypatch) -> str:
    """``parnft run`` of ``spec`` cut to STEPS steps, every step written; checks the file."""
    import h5py
    from mpi4py import MPI

    from parnft import api

    t = spec.time
    short = dataclasses.replace(
        spec, time=dataclasses.replace(t, steps=STEPS, time=STEPS * t.deltat),
        output=dataclasses.replace(spec.output, start=0.0, interval=None))
    monkeypatch.setattr(api, "load_spec", lambda _conf, _comm, _plugins=(): short)
    try:
        api.run(str(conf), str(out), comm=MPI.COMM_SELF, progress=False)
    except RunError:
        return "diverged (RunError)"
    want = _expected_columns(short)
    with h5py.File(out, "r") as f:
        assert bool(f.attrs["complete"]), "file not marked complete"
        assert int(f.attrs["samples_written"]) == STEPS
        assert np.all(np.isfinite(f["time"][:]))
        got = {}
        for name, d in f.items():
            if isinstance(d, h5py.Dataset) and "nftsim_name" in d.attrs:
                data = d[:]
                assert data.shape[0] == STEPS, name
                assert np.all(np.isfinite(data)), f"{name} not finite"
                key = str(d.attrs["nftsim_name"])
                stem = key.rsplit(".", 1)[0]
                if key not in want and stem in want and key.rsplit(".", 1)[1].isdigit():
                    key = stem  # an all-to-all coupling writes one dataset per source node
                got[key] = got.get(key, 0) + int(np.prod(data.shape[1:]))
    assert set(got) == set(want), f"datasets {sorted(got)} != Output list {sorted(want)}"
    for name, n in got.items():
        assert n % want[name] == 0 or n == 1, f"{name}: {n} columns for {want[name]} nodes"
    return "ran"


def test_fuzz_validate_and_run(tmp_path, monkeypatch):
    from parnft.commands.validate import _validate

    failures, outcomes, runs = [], {"accepted": 0, "refused": 0}, 0
    for i, name, edits, text in mutants():
        where = f"seed {SEED} mutant {i} of {name} ({'; '.join(edits)})"
        conf = tmp_path / f"m{i}.conf"
        conf.write_bytes(text.encode("utf-8", "surrogatepass"))
        try:
            _validate(str(conf), 1, str(tmp_path / "m.h5"), None, False)
        except ParnftError:
            outcomes["refused"] += 1
            continue
        except Exception:  # noqa: BLE001 - the property under test
            failures.append(f"{where}: validate raised\n{traceback.format_exc()}")
            continue
        outcomes["accepted"] += 1
        if name not in RUN_BASES or runs >= RUNS:
            continue
        runs += 1
        spec = parse_config(text, path=str(conf))
        try:
            how = _run_short(spec, conf, tmp_path / f"m{i}.h5", monkeypatch)
            outcomes[how] = outcomes.get(how, 0) + 1
        except ConfigError as exc:
            failures.append(f"{where}: validate accepted it but run raised\n{exc}")
        except Exception:  # noqa: BLE001
            failures.append(f"{where}: run failed\n{traceback.format_exc()}")
        finally:
            monkeypatch.undo()
    print(outcomes)
    assert not failures, f"{len(failures)} failures; first:\n" + "\n".join(failures[:3])
    # the mutants exercise both sides: most are refused, some accepted and run
    assert outcomes["refused"] >= MUTANTS // 4 and outcomes["accepted"] >= 10, outcomes
    assert runs >= min(RUNS, 3), outcomes


@pytest.mark.parametrize("ch", CONTROL)
def test_control_character_anywhere(ch):
    for pos in (BASE.index("parnft"), BASE.index("Time:"), BASE.index("Output:")):
        text = BASE[:pos] + ch + BASE[pos:]
        with pytest.raises(ConfigError) as err:
            parse_config(text, path="c.conf")
        line = BASE[:pos].count("\n") + 1
        assert f"c.conf:{line}: file: control character U+{ord(ch):04X}" in str(err.value)
