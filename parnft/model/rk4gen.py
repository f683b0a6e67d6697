"""Generate the compiled RK4 strip kernel of a population kind with local dynamics.

For each :class:`~parnft.model.declare.Dynamics` kind the generator writes a
small Python module (source text, like the loop of :mod:`parnft.codegen`)
into the kernel cache folder under a name that hashes its text and the
source of the kind's module, imports it, and returns its two kernels::

    rk4_<Kind>(vd, S0, .., S{m-1}, hist, ptr, q_out, P0, .., P{k-1}, dt, n)
    rk4_<Kind>_nodes(i0, i1, vd, S0, .., hist, ptr, q_out, P0, .., dt, n)

Per node i (unsigned indices, like every strip kernel), with u the sum of
the population's input rows ``((0 + vd[0, i]) + vd[1, i]) + ...`` held
constant over the step (a kind with input channels, ``Dynamics.inputs``,
gets one such sum per channel, u = (u_0, u_1, ...), the rows assigned by the
int64 array ``chan`` passed after ``vd``), the classical RK4 step of
ds/dt = rhs(s, u, p)::

    k1 = rhs(s, u, p)          k2 = rhs(s + (dt/2) k1, u, p)
    k3 = rhs(s + (dt/2) k2, u, p)   k4 = rhs(s + dt k3, u, p)
    s <- s + (dt/6) (((k1 + 2 k2) + 2 k3) + k4)

(the association order of :func:`parnft.kernels.ode.rk4_node`), then
Q = rate(s, p) into the new slot of the history ring and ``q_out``. The whole
tile form advances the ring pointer itself; the strip form runs after
:func:`parnft.kernels.firing.ring_next`. Local error O(dt^5); stable while dt
is below about 2.78 over the fastest time scale (each kind's step-size rule,
``Dynamics.timescale``, is checked before the run). The rhs and rate are
inlined, so a node's state stays in registers: no Python per node or step.
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import os
import re
import sys

from ..codegen import cache_dir
from .declare import Dynamics

GENERATOR_VERSION = "1"


def _where(fn) -> tuple[str, str]:
    """``(module, name)`` by which the generated module imports ``fn``."""
    py = getattr(fn, "py_func", fn)
    return py.__module__, py.__name__


def called_modules(*fns, depth: int = 4) -> set[str]:
    """Modules whose source the compiled ``fns`` depend on: their own, and those of the
    functions (and modules) their code refers to by global name, recursively.

    numba's cache of a kernel does not notice a change in an inlined callee's
    file; hashing these files into the generated source (a new module name,
    compiled afresh) does. Modules of numba, numpy and the standard library
    are left out.
    """
    out: set[str] = set()
    seen: set[int] = set()

    def visit(fn, d):
        py = getattr(fn, "py_func", fn)
        if id(py) in seen or not hasattr(py, "__code__"):
            return
        seen.add(id(py))
        out.add(py.__module__)
        if d == 0:
            return
        glb = getattr(py, "__globals__", {})
        names = set(py.__code__.co_names)
        for const in py.__code__.co_consts:  # nested code objects (closures, lambdas)
            if hasattr(const, "co_names"):
                names |= set(const.co_names)
        for name in names:
            obj = glb.get(name)
            if obj is None:
                continue
            if inspect.ismodule(obj):
                out.add(obj.__name__)
            elif callable(obj):
                visit(obj, d - 1)

    for fn in fns:
        visit(fn, depth)
    skip = ("numba", "numpy", "math", "builtins", "cmath")
    return {m for m in out if m and m.split(".")[0] not in skip and m in sys.modules}


def _source_digest(*modules: str) -> str:
    h = hashlib.sha1()
    for name in sorted(set(modules)):
        mod = sys.modules.get(name)
        path = getattr(mod, "__file__", None)
        if path and os.path.exists(path):
            with open(path, "rb") as f:
                h.update(f.read())
        elif mod is not None:
            try:
                h.update(inspect.getsource(mod).encode())
            except (OSError, TypeError):
                h.update(name.encode())
    return h.hexdigest()[:16]


def kernel_names(kind: Dynamics) -> tuple[str, str]:
    """Names of the whole-tile and strip kernels of ``kind``."""
    base = "rk4_" + re.sub(r"\W", "_", kind.name)
    return base, base + "_nodes"


def kernel_source(kind: Dynamics, nodal: bool = False) -> str:
    """Python source of the module holding ``kind``'s two RK4 kernels.

    With ``nodal`` the parameters ``P0..`` may be per-node arrays: the
    parameter tuple is formed at each node with :func:`parnft.kernels.nodal.at`
    (a float stays itself), so a map equal everywhere gives the same bits.
    """
    m, k = len(kind.state), len(kind.params)
    whole, nodes = kernel_names(kind)
    rmod, rname = _where(kind.rhs)
    qmod, qname = _where(kind.rate)
    S = [f"S{i}" for i in range(m)]
    P = [f"P{j}" for j in range(k)]
    y = [f"y{i}" for i in range(m)]

    emitted = (kind.emit,) if kind.outputs else ()

    def tup(xs):
        return "(" + ", ".join(xs) + ("," if len(xs) == 1 else "") + ")"

    def lhs(prefix):
        return ", ".join(f"{prefix}{i}" for i in range(m)) + ("," if m == 1 else "")

    def stage(step, prev):
        return tup([f"y{i} + {step} * {prev}{i}" for i in range(m)])

    sargs = ", ".join(S)
    pargs = (", ".join(P) + ", ") if P else ""
    nch = len(kind.inputs)
    vargs = "vd, chan" if nch else "vd"
    nout = len(kind.outputs)
    if nout:  # extra output rings and fields after q_out: H0, O0, H1, O1, ...
        pargs = "".join(f"H{o}, O{o}, " for o in range(nout)) + pargs
    lines = [
        f"# generated by parnft.model.rk4gen (version {GENERATOR_VERSION}) for the Dynamics "
        f"kind {kind.name!r}; do not edit",
        f"# rhs/rate source digest "
        f"{_source_digest(rmod, qmod, *called_modules(kind.rhs, kind.rate, *emitted))}",
        "from numba import njit, uint64",
        "",
        "from parnft.kernels import JIT",
        "from parnft.kernels.firing import advance_ring",
        f"from {rmod} import {rname} as _rhs_def",
        f"from {qmod} import {qname} as _rate_def",
        "",
        "_OPT = {'fastmath': False, 'error_model': 'numpy', 'boundscheck': False}",
        "_rhs = njit(inline='always', **_OPT)(getattr(_rhs_def, 'py_func', _rhs_def))",
        "_rate = njit(inline='always', **_OPT)(getattr(_rate_def, 'py_func', _rate_def))",
    ]
    if kind.outputs:
        emod, ename = _where(kind.emit)
        lines += [f"from {emod} import {ename} as _emit_def",
                  "_emit = njit(inline='always', **_OPT)(getattr(_emit_def, 'py_func', "
                  "_emit_def))"]
    lines += [
        "",
        "",
        "@njit(inline='always', **_OPT)",
        f"def _body(i0, i1, {vargs}, {sargs}, hist, k, q_out, {pargs}dt):",
        "    h2 = dt * 0.5",
        "    h6 = dt / 6.0",
        f"    p = {tup(P) if P else '()'}",
        "    for i in range(uint64(i0), uint64(i1)):",
    ]
    if nodal and P:  # per-node parameters (maps): the tuple of this node's values
        lines[-2:] = ["    for i in range(uint64(i0), uint64(i1)):",
                      f"        p = {tup([f'at({x}, i)' for x in P])}"]
        lines.insert(lines.index("from parnft.kernels.firing import advance_ring") + 1,
                     "from parnft.kernels.nodal import at")
    if not nch:
        lines += ["        u = 0.0",
                  "        for j in range(vd.shape[0]):",
                  "            u = u + vd[j, i]"]
    else:  # one sum per channel, rows in connection order
        lines += [f"        u{c} = 0.0" for c in range(nch)]
        lines += ["        for j in range(vd.shape[0]):",
                  "            c = chan[j]"]
        for c in range(nch):
            lines += [f"            {'if' if c == 0 else 'elif'} c == {c}:",
                      f"                u{c} = u{c} + vd[j, i]"]
        lines += [f"        u = {tup([f'u{c}' for c in range(nch)])}"]
    lines += [f"        y{i} = S{i}[i]" for i in range(m)]
    lines += [
        f"        {lhs('a')} = _rhs({tup(y)}, u, p)",
        f"        {lhs('b')} = _rhs({stage('h2', 'a')}, u, p)",
        f"        {lhs('c')} = _rhs({stage('h2', 'b')}, u, p)",
        f"        {lhs('d')} = _rhs({stage('dt', 'c')}, u, p)",
    ]
    lines += [f"        y{i} = y{i} + h6 * (((a{i} + 2.0 * b{i}) + 2.0 * c{i}) + d{i})"
              for i in range(m)]
    lines += [f"        S{i}[i] = y{i}" for i in range(m)]
    lines += [
        f"        q = _rate({tup(y)}, p)",
        "        hist[k, i] = q",
        "        q_out[i] = q",
    ]
    if nout:  # the extra emitted rates, each into its own ring and field
        lines += [f"        {', '.join(f'e{o}' for o in range(nout))}"
                  f"{',' if nout == 1 else ''} = _emit({tup(y)}, p)"]
        lines += [ln for o in range(nout) for ln in (f"        H{o}[k, i] = e{o}",
                                                      f"        O{o}[i] = e{o}")]
    lines += [
        "",
        "",
        "@njit(**JIT)",
        f"def {whole}({vargs}, {sargs}, hist, ptr, q_out, {pargs}dt, n):",
        f'    """RK4 step of {kind.name} at every node (see parnft.model.rk4gen)."""',
        "    k = advance_ring(ptr, hist.shape[0])",
        f"    _body(0, q_out.shape[0], {vargs}, {sargs}, hist, k, q_out, {pargs}dt)",
        "",
        "",
        "@njit(**JIT)",
        f"def {nodes}(i0, i1, {vargs}, {sargs}, hist, ptr, q_out, {pargs}dt, n):",
        f'    """RK4 step of {kind.name} on nodes i0 <= i < i1, after ring_next."""',
        f"    _body(i0, i1, {vargs}, {sargs}, hist, ptr[0], q_out, {pargs}dt)",
        "",
        "",
        "_RULE = {'vd': ('all', 0), 'chan': ('all', 0), 'hist': (0, 'row'), 'q_out': (0, 'all'), "
        + ", ".join([f"'S{i}': ('all', 'all')" for i in range(m)]
                    + [f"'H{o}': (0, 'row'), 'O{o}': (0, 'all')" for o in range(nout)]) + "}",
        "#: Bytes streamed per call, for parnft.bench.roofline: (read, write) per array.",
        f"ROOFLINE_RULES = {{{whole!r}: _RULE, {nodes!r}: _RULE}}",
        "",
    ]
    return "\n".join(lines)


def kernels(kind: Dynamics, nodal: bool = False):
    """``(whole, nodes)``: the compiled RK4 kernels of ``kind`` (generated once, cached on disk).

    ``nodal``: some parameters are per-node arrays (:func:`kernel_source`).
    """
    mod = load_generated(kernel_names(kind)[0], kernel_source(kind, nodal))
    whole, nodes = kernel_names(kind)
    return getattr(mod, whole), getattr(mod, nodes)


def load_generated(stem: str, src: str):
    """The module of generated source ``src``, written once to the cache and imported.

    Named ``parnft_<stem>_<sha1 of src>`` so a changed generator or kind gets a
    new module; written to a temporary name and renamed, so ranks starting
    together never read half a file.
    """
    digest = hashlib.sha1(src.encode()).hexdigest()[:16]
    name = f"parnft_{stem}_{digest}"
    mod = sys.modules.get(name)
    if mod is not None:
        return mod
    path = cache_dir() / f"{name}.py"
    if not path.exists() or path.read_text() != src:
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(src)
        os.replace(tmp, path)
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    try:
        spec.loader.exec_module(mod)
    except BaseException:
        del sys.modules[name]
        raise
    return mod
