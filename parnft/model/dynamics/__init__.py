"""Population kinds with local dynamics: one module per kind, one line per kind below.

A kind is a module of this package that defines ``KIND``, a
:class:`parnft.model.declare.Dynamics`. Adding one is writing the module and
adding its name to :data:`KINDS`; everything else parnft does with it (config
keys and checks, the ``validate`` summary, memory and roofline counts, output
names and units, ``parnft models``, the compiled RK4 strip kernel) is derived
from the declaration. Kinds defined elsewhere (a user's plugin file, a test's
temporary module) join with one call, :func:`register`.
"""

from __future__ import annotations

import importlib

from ..declare import Choice, CrossDiffusion, Dynamics, Param, Var

#: Built-in kinds: the modules of this package, one line each.
KINDS = (
    "relaxation",
    "harmonic",
    "stuart_landau",
    "wilson_cowan",
    "jansen_rit",
    "qif",
    "coombes_byrne",
    "ginzburg_landau",
    "jh_excitatory",
)

_REGISTRY: dict[str, Dynamics] = {}
_ORIGIN: dict[str, str] = {}
_loaded = False

#: Names a state variable may not take (they are output fields of every population).
RESERVED = ("Q",)
#: Names a parameter may not take: the keys and openers of the population block around it.
RESERVED_KEYS = ("Q", "Length", "Plugin", "Dynamics", "Firing", "Stimulus", "Dendrite")


def register(kind: Dynamics, origin: str = "") -> Dynamics:
    """Make ``kind`` known under ``kind.name``; ``origin`` says where it was defined.

    Registering the same declaration again is a no-op. A different kind under
    a name already taken raises ValueError naming both origins.
    """
    _load_builtin()  # a later built-in may not silently replace an earlier outside kind
    problems = declaration_problems(kind)
    if problems:
        raise ValueError(f"{origin or kind.name}: " + "; ".join(problems))
    old = _REGISTRY.get(kind.name)
    if old is not None and old is not kind and _ORIGIN.get(kind.name) != origin:
        raise ValueError(f"Dynamics kind {kind.name!r} from {origin or '?'} is already "
                         f"defined by {_ORIGIN.get(kind.name) or '?'}")
    _REGISTRY[kind.name] = kind
    _ORIGIN[kind.name] = origin or getattr(kind.rhs, "__module__", "")
    return kind


def lookup(name: str) -> Dynamics:
    """The kind registered as ``name``; KeyError lists the known kinds."""
    _load_builtin()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"no Dynamics kind {name!r} (known: {', '.join(kinds())})") from None


def kinds() -> tuple[str, ...]:
    """Names of every registered kind, sorted."""
    _load_builtin()
    return tuple(sorted(_REGISTRY))


def origin(name: str) -> str:
    """Where kind ``name`` was defined (a module name or a plugin file)."""
    _load_builtin()
    return _ORIGIN.get(name, "")


def declaration_problems(kind) -> list[str]:
    """What is wrong with a declaration, as ``"rule; fix: ..."`` strings (empty when fine)."""
    out = []
    if not isinstance(kind, Dynamics):
        return [f"KIND is a {type(kind).__name__}, not a parnft.model.declare.Dynamics; fix: "
                "write KIND = Dynamics(name=..., params=..., state=..., rhs=..., rate=..., "
                "equation=...)"]
    if not isinstance(kind.name, str) or not kind.name.isidentifier():
        out.append(f"name {kind.name!r} is not a single word; fix: use letters, digits and _")
    if not kind.state:
        out.append("no state variables; fix: give state=(Var('x', unit), ...)")
    names = []
    for v in kind.state:
        if not isinstance(v, Var):
            out.append(f"state entry {v!r} is not a Var; fix: use Var(name, unit, init)")
            continue
        names.append(v.name)
        if v.name in RESERVED:
            out.append(f"state variable {v.name!r} clashes with the output field Q; fix: "
                       "rename it")
    for p in kind.params:
        if not isinstance(p, Param | Choice):
            out.append(f"parameter {p!r} is not a Param or Choice; fix: use Param(name, unit, "
                       "default)")
            continue
        names.append(p.name)
        if p.name in RESERVED_KEYS:
            out.append(f"parameter {p.name!r} is a key of the population block; fix: rename it")
    names += [f"{v.name}_0" for v in kind.state if isinstance(v, Var)]
    outs = tuple(getattr(kind, "outputs", ()))
    if any(not isinstance(o, Var) for o in outs):
        out.append("outputs must be Var(name, unit) entries; fix: outputs=(Var('y', 's^-1'),)")
        outs = ()
    if outs and not callable(getattr(kind, "emit", None)):
        out.append("outputs are declared but emit is not a function; fix: give emit(s, p) "
                   "returning one value per output")
    fields = [n.lower() for n in ("Q", *(o.name for o in outs),
                                  *(v.name for v in kind.state if isinstance(v, Var)))]
    clash = sorted({n for n in fields if fields.count(n) > 1})
    if clash:
        out.append(f"state variables or outputs differ only by case ({', '.join(clash)}): "
                   "their output datasets would share a name; fix: rename one")
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        out.append(f"names used twice: {', '.join(dup)}; fix: give every parameter and state "
                   "variable its own name")
    chans = tuple(getattr(kind, "inputs", ()))
    if any(not isinstance(c, str) or not c.isidentifier() for c in chans) or \
            len(set(chans)) != len(chans):
        out.append(f"inputs {chans!r} are not distinct words; fix: name each input channel "
                   "once, e.g. inputs=('e', 'i')")
    out += _spatial_problems(kind)
    for what in ("rhs", "rate"):
        fn = getattr(kind, what)
        py = getattr(fn, "py_func", fn)
        if not callable(py) or getattr(py, "__name__", "<lambda>") == "<lambda>":
            out.append(f"{what} is not a named function; fix: define it with def at module level")
    return out


def _spatial_problems(kind: Dynamics) -> list[str]:
    """Rules on ``kind.spatial``: operators on declared state variables, numeric coefficients."""
    out = []
    states = {v.name for v in kind.state if isinstance(v, Var)}
    nums = {p.name for p in kind.params if isinstance(p, Param)}
    for op in tuple(getattr(kind, "spatial", ())):
        if not isinstance(op, CrossDiffusion):
            out.append(f"spatial entry {op!r} is not a Diffusion or CrossDiffusion; fix: use "
                       "Diffusion(var, coef) or CrossDiffusion(src, dst, coef)")
            continue
        bad = sorted({v for v in (op.src, op.dst) if v not in states})
        if bad:
            out.append(f"spatial operator {op.text()} names {', '.join(bad)}, not a state "
                       f"variable; fix: use one of {', '.join(sorted(states))}")
        if not op.coefs or any(c not in nums for c in op.coefs):
            out.append(f"spatial operator {op.text()}: its coefficient must be numeric "
                       f"parameters of the kind; fix: name Params among {', '.join(sorted(nums))}")
    return out


def _load_builtin() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for name in KINDS:
        mod = importlib.import_module(f"{__name__}.{name}")
        register(mod.KIND, mod.__name__)
