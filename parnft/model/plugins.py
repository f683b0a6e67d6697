"""User plugin files: Dynamics kinds defined outside parnft, loaded by path.

A plugin is a Python file that defines ``KIND`` (or ``KINDS``, a tuple), each
a :class:`parnft.model.declare.Dynamics` with numba-compilable ``rhs`` and
``rate`` functions (``docs/models/write-your-own.md``). It is loaded with
``parnft run model.conf --plugin FILE`` or ``Plugin: FILE`` in the ``.conf``
(at the top level or on a population), on every rank, before the model is
read or built; its kinds then validate, compile and run like built-in ones.

Every failure (the file is missing, does not import, defines no kind, a
declaration lacks a field, the right-hand side does not compile with numba
or returns the wrong number of values) raises a
:class:`~parnft.errors.ConfigError` naming the file, the line where known,
and the fix. It is raised identically on every rank (each loads the same
file), so the CLI exits with code 2 everywhere and nothing hangs.
"""

from __future__ import annotations

import hashlib
import importlib.util
import math
import os
import sys
import traceback

from ..errors import ConfigError, Problem
from . import dynamics
from .declare import Choice, Dynamics

_LOADED: dict[str, tuple[Dynamics, ...]] = {}


def _problem(path: str, line: int, value: str, rule: str, fix: str) -> ConfigError:
    return ConfigError([Problem(path, line, "Plugin", value, rule, fix)])


def resolve_path(name: str, base_dir: str | None = None) -> str | None:
    """Absolute path of plugin ``name``: relative to ``base_dir`` first, then to the cwd."""
    cands = [name] if os.path.isabs(name) else (
        ([os.path.join(base_dir, name)] if base_dir else []) + [os.path.abspath(name)])
    for c in cands:
        if os.path.isfile(c):
            return os.path.abspath(c)
    return None


def _line_in(exc: BaseException, path: str) -> int:
    """Line of the last traceback frame in ``path`` (0 when none)."""
    line = getattr(exc, "lineno", 0) if isinstance(exc, SyntaxError) else 0
    for fr in traceback.extract_tb(exc.__traceback__):
        if os.path.abspath(fr.filename) == path:
            line = fr.lineno or line
    return int(line or 0)


def load_plugin(name: str, base_dir: str | None = None, where: tuple[str, int] | None = None
                ) -> tuple[Dynamics, ...]:
    """Import plugin file ``name``, check and register its kinds; return them.

    Parameters
    ----------
    name : str
        The file as given (``--plugin`` or the ``Plugin:`` key).
    base_dir : str, optional
        Folder of the config that names it (relative names are looked up there first).
    where : (str, int), optional
        ``(config file, line)`` of a ``Plugin:`` key, used when the file is missing.

    Raises
    ------
    ConfigError
        Naming the file, the line where known, what is wrong and the fix.
    """
    path = resolve_path(name, base_dir)
    if path is None:
        cfg, line = where or (name, 0)
        raise _problem(cfg, line, name, f"plugin file {name!r} not found"
                       + (f" (looked in {base_dir} and {os.getcwd()})" if base_dir else ""),
                       "give the path of the Python file that defines KIND = Dynamics(...)")
    if path in _LOADED:
        return _LOADED[path]
    stem = "".join(c if c.isalnum() else "_" for c in os.path.splitext(os.path.basename(path))[0])
    modname = f"parnft_plugin_{stem}_{hashlib.sha1(path.encode()).hexdigest()[:10]}"
    spec = importlib.util.spec_from_file_location(modname, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[modname] = mod
    try:
        spec.loader.exec_module(mod)
    except Exception as exc:  # noqa: BLE001 - any failure of user code is reported
        del sys.modules[modname]
        msg = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
        if isinstance(exc, TypeError) and "Dynamics" in "".join(traceback.format_tb(
                exc.__traceback__)) + str(exc):
            fix = ("give Dynamics every field it needs: name, params, state, rhs, rate, "
                   "equation (docs/models/write-your-own.md)")
        else:
            fix = "fix the error so that 'python FILE' imports it"
        raise _problem(path, _line_in(exc, path), name,
                       f"the plugin does not import ({msg})", fix) from None
    found = getattr(mod, "KINDS", None)
    if found is None:
        found = (mod.KIND,) if hasattr(mod, "KIND") else ()
    found = tuple(found)
    if not found:
        raise _problem(path, 0, name, "the plugin defines no kind (no KIND or KINDS)",
                       "add KIND = Dynamics(name=..., params=..., state=..., rhs=..., rate=..., "
                       "equation=...) at module level")
    for kind in found:
        bad = dynamics.declaration_problems(kind)
        if bad:
            raise _problem(path, 0, name, "; ".join(b.split("; fix: ")[0] for b in bad),
                           "; ".join(b.split("; fix: ")[-1] for b in bad))
        _probe(kind, path, name)
        try:
            dynamics.register(kind, path)
        except ValueError as exc:
            raise _problem(path, 0, name, str(exc), "rename the kind") from None
    _LOADED[path] = found
    return found


def _sample_params(kind: Dynamics) -> tuple[float, ...]:
    out = []
    for p in kind.params:
        if isinstance(p, Choice):
            out.append(0.0)
        elif p.default is not None:
            out.append(float(p.default))
        else:
            lo, hi = p.lo, p.hi
            out.append(1.0 if p.allows(1.0) else (lo + 1.0 if math.isfinite(lo) else hi - 1.0))
    return tuple(out)


def _probe(kind: Dynamics, path: str, name: str) -> None:
    """Compile rhs and rate with numba on sample values; check what they return."""
    from numba import njit

    s0 = tuple(float(v.init) for v in kind.state)
    p0 = _sample_params(kind)
    m = len(kind.state)
    sig = "rhs(s, inp, p) with s a tuple of floats, inp a float and p a tuple of floats"
    for what, args in (("rhs", (s0, 0.0, p0)), ("rate", (s0, p0))):
        fn = getattr(kind, what)
        py = getattr(fn, "py_func", fn)
        line = getattr(getattr(py, "__code__", None), "co_firstlineno", 0)
        try:
            out = njit(py)(*args)
        except Exception as exc:  # noqa: BLE001 - numba's typing and lowering errors
            first = " ".join(str(exc).split())[:240]
            raise _problem(path, line, name, f"{what} of kind {kind.name} does not compile with "
                           f"numba ({type(exc).__name__}: {first})",
                           f"write {what} as a numba function of scalars and tuples only ({sig}"
                           "); no lists, arrays, globals other than numbers and numba "
                           "functions") from None
        if what == "rhs":
            if not isinstance(out, tuple) or len(out) != m:
                n = len(out) if isinstance(out, tuple) else "a non-tuple"
                raise _problem(path, line, name, f"rhs of kind {kind.name} returns {n} value(s) "
                               f"but the kind has {m} state variable(s)",
                               f"return a tuple of {m} derivatives, in the order of state "
                               "(a 1-tuple is written (x,))")
        elif not isinstance(out, int | float):
            raise _problem(path, line, name, f"rate of kind {kind.name} returns "
                           f"{type(out).__name__}, not a number", "return one float Q")
