"""``parnft models [KIND]``: every kind of every model family, its keys and equation.

The NFTsim kinds are listed from the config vocabulary (:mod:`parnft.config.keys`)
and their components' docstrings; the population kinds with local dynamics
from their declarations (:mod:`parnft.model.dynamics`), including plugins
loaded with ``--plugin FILE``.
"""

from __future__ import annotations

import difflib
import sys

ORDER = 60


def _doc(family: str, name: str) -> str:
    from ..model.catalog import lookup

    try:
        doc = lookup(family, name).__doc__ or ""
    except KeyError:
        return ""
    return " ".join(doc.strip().split("\n\n")[0].split())


def nftsim_kinds() -> list[tuple[str, str, list[str], str]]:
    """``(family, kind, key lines, equation)`` of every NFTsim kind."""
    from ..config import keys as K

    out = []
    for kind, keys in K.FIRING_KEYS.items():
        lines = list(keys)
        if "Function" in keys:
            lines = [k for k in keys if k not in ("Function", *K._FUNCTION_PARAMS)]
            lines += [f"Function: {fn}  with {', '.join(req)}" for fn, req in K.FUNCTIONS.items()]
        out.append(("population (firing response)", kind, lines, _doc("firing", kind)))
    for mode, (req, opt) in K.STIMULUS_MODES.items():
        lines = [f"{k} (required)" for k in req] + [f"{k} (optional)" for k in opt]
        lines += [f"{k} (optional)" for k in K.STIMULUS_COMMON]
        out.append(("population (stimulus)", mode, lines, _doc("stimulus", mode)))
    for kind in K.DENDRITE_KINDS:
        lines = list(K.dendrite_keys(kind))
        out.append(("dendrite", kind, lines, _doc("dendrite", kind)))
    for kind in K.PROPAGATOR_KINDS:
        out.append(("propagator", kind, list(K.PROPAGATOR_KEYS), _doc("propagator", kind)))
    for kind, (req, opt) in K.COUPLING_KINDS.items():
        lines = [f"{k} (required)" for k in req] + [f"{k} (optional)" for k in opt]
        out.append(("coupling", kind, lines, _doc("coupling", kind)))
    return out


def dynamics_kinds() -> list[tuple[str, str, list[str], str]]:
    """``(family, kind, key lines, equation)`` of every population kind with local dynamics."""
    from ..model import dynamics
    from ..model.declare import Choice

    out = []
    for name in dynamics.kinds():
        d = dynamics.lookup(name)
        lines = []
        for p in d.params:
            if isinstance(p, Choice):
                dflt = f", default {p.default}" if p.default is not None else ", required"
                lines.append(f"{p.name}: one of {' | '.join(p.choices)}{dflt}  {p.doc}".rstrip())
            else:
                dflt = f"default {p.default:g}" if p.default is not None else "required"
                lines.append(f"{p.name} [{p.unit}] {dflt}, {p.range_text()}  {p.doc}".rstrip())
        for v in d.state:
            lines.append(f"{v.name}_0 [{v.unit}] default {v.init:g}  initial {v.name}"
                         + (f" ({v.doc})" if v.doc else ""))
        chans = f" channels {', '.join(d.inputs)} (Dendrite key Input:)" if d.inputs else ""
        if d.outputs:
            lines.append("emits besides Q: " + ", ".join(f"{o.name} [{o.unit}]"
                                                         for o in d.outputs)
                         + " (Propagator key Source:)")
        lines.append(f"outputs: {', '.join(f'{k} [{u}]' for k, u in d.units.items())}; "
                     f"input [{d.input_unit}]{chans}")
        if d.timescale is not None:
            lines.append(f"step-size rule: Deltat <= fastest time scale / "
                         f"{d.steps_per_timescale:g} (RK4)")
        if d.spatial:
            lines.append("step-size rule: spatial terms " + "; ".join(
                f"d {op.dst}/dt {op.text()}" for op in d.spatial) + " (5-point Laplacian, "
                "one ghost fill per RK4 stage): Deltat*lambda in RK4's stability region "
                "for every grid mode")
        if d.reference:
            lines.append(f"reference: {d.reference}")
        src = dynamics.origin(name)
        if src:
            lines.append(f"defined in: {src}")
        out.append(("population (Dynamics)", name, lines, d.equation))
    return out


def _short(keys: list[str]) -> list[str]:
    """Key names of detail lines (``"tau [s] default ..."`` -> ``"tau"``), each once."""
    out = []
    for k in keys:
        if k.startswith(("outputs:", "step-size", "reference:", "defined in:")):
            continue
        name = k.split(" (")[0].split(" [")[0].split("  ")[0].split(":")[0]
        if k.startswith("Function:"):
            name = "Function " + k.split()[1]
        if name not in out:
            out.append(name)
    return out


def render(rows, detail: bool) -> str:
    """Text listing of ``rows``; with ``detail`` every key line is shown."""
    lines, fam = [], None
    for family, kind, keys, eq in rows:
        if family != fam:
            lines.append(f"{family}:")
            fam = family
        lines.append(f"  {kind}" + (f"  {eq}" if eq and not detail else ""))
        if detail:
            if eq:
                lines.append(f"    equation: {eq}")
            lines += [f"    {k}" for k in keys]
        else:
            lines.append("    keys: " + (", ".join(_short(keys)) or "(none)"))
    return "\n".join(lines)


def cmd_models(args) -> int:
    """Print the list (or one kind in detail); an unknown kind exits with code 2."""
    from ..errors import ConfigError, Problem
    from ..model.plugins import load_plugin

    for f in args.plugin or ():
        load_plugin(f)
    rows = nftsim_kinds() + dynamics_kinds()
    if args.kind:
        hit = [r for r in rows if r[1] == args.kind]
        if not hit:
            names = sorted({r[1] for r in rows})
            best = difflib.get_close_matches(args.kind, names, n=1, cutoff=0.5)
            raise ConfigError([Problem("parnft models", 0, "KIND", args.kind, "no such kind",
                                       (f"did you mean '{best[0]}'? " if best else "")
                                       + "known: " + ", ".join(names))])
        rows = hit
    from . import is_root

    if is_root():
        sys.stdout.write(render(rows, detail=bool(args.kind) or args.long) + "\n")
    return 0


def register(sub) -> None:
    """Add the ``models`` subcommand."""
    m = sub.add_parser("models", help="list every model kind with its keys and equation")
    m.add_argument("kind", nargs="?", help="show one kind in detail")
    m.add_argument("-l", "--long", action="store_true", help="every kind in detail")
    m.add_argument("--plugin", action="append", metavar="FILE",
                   help="load a plugin file of Dynamics kinds first (repeatable)")
    m.set_defaults(func=cmd_models)
