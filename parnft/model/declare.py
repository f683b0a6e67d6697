"""Declarations a population kind with local dynamics makes about itself.

A kind of the population family that carries state (an oscillator, a
Wilson-Cowan pair, a Jansen-Rit column, a next-generation mass) is one module
holding one :class:`Dynamics` object and its two numba functions. Everything
else parnft does with the kind (reading and checking its ``.conf`` keys, the
``validate`` summary, the memory estimate, the roofline byte count, output
names and units, ``parnft models``, the docs listing, the step-size check,
checkpointable state) is derived from that object; nothing else in parnft
names the kind.

The right-hand side convention (per node, scalars only, so a generated RK4
strip kernel can keep everything in registers)::

    @inline
    def rhs(s, inp, p):
        # s:   tuple of the state variables at this node, in ``Dynamics.state`` order
        # inp: the population's input at this node (float; ``Dynamics.input_unit``)
        # p:   tuple of the parameters, in ``Dynamics.params`` order (Choice
        #      parameters are passed as the float index of the chosen word)
        return (ds0_dt, ds1_dt, ...)            # same length as s

    @inline
    def rate(s, p):
        return q                                # the emitted firing rate Q [s^-1]

Both must be pure: no globals other than other numba functions and numeric
constants, no allocation, no I/O. The input is held constant over a step
(NFTsim's convention for dendrites); the state is advanced by the classical
RK4 scheme with the same association order as :func:`parnft.kernels.ode.rk4_node`.

Spatial operators (``Dynamics.spatial``): a kind whose state spreads across
the sheet declares :class:`Diffusion` (``d var/dt += D lap(var)``) and
:class:`CrossDiffusion` (``d dst/dt += c lap(src)``) entries; the 5-point
Laplacian of the RK4 *stage* state is added to the right-hand side in each
stage (method of lines, :mod:`parnft.model.rk4gen`), so the rhs itself stays
local and unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Param:
    """One numeric ``.conf`` key of a kind.

    Attributes
    ----------
    name : str
        The key as written in the file (case-sensitive), e.g. ``"alpha"``.
    unit : str
        SI unit, e.g. ``"s^-1"``, ``"V"``, ``"1"``.
    default : float or None
        Value when the key is absent; None makes the key required.
    lo, hi : float
        Allowed range (inclusive unless ``lo_open`` / ``hi_open``).
    doc : str
        One line for ``parnft models`` and the docs.
    """

    name: str
    unit: str
    default: float | None = None
    lo: float = -math.inf
    hi: float = math.inf
    lo_open: bool = False
    hi_open: bool = False
    doc: str = ""

    def allows(self, value: float) -> bool:
        """True when ``value`` is finite and inside the allowed range."""
        if not math.isfinite(value):
            return False
        above = value > self.lo if self.lo_open else value >= self.lo
        below = value < self.hi if self.hi_open else value <= self.hi
        return above and below

    def range_text(self) -> str:
        """The allowed range as text, e.g. ``"> 0"`` or ``"in [0, 1]"``."""
        lo, hi = math.isfinite(self.lo), math.isfinite(self.hi)
        if lo and hi:
            return (f"in {'(' if self.lo_open else '['}{self.lo:g}, "
                    f"{self.hi:g}{')' if self.hi_open else ']'}")
        if lo:
            return f"{'>' if self.lo_open else '>='} {self.lo:g}"
        if hi:
            return f"{'<' if self.hi_open else '<='} {self.hi:g}"
        return "any finite number"


def positive(name: str, unit: str, default: float | None, doc: str = "") -> Param:
    """A :class:`Param` that must be > 0 (time constants, rates, amplitudes)."""
    return Param(name, unit, default, 0.0, math.inf, lo_open=True, doc=doc)


@dataclass(frozen=True)
class Choice:
    """A ``.conf`` key that takes one word from a fixed list.

    The right-hand side receives the index of the chosen word as a float
    (``0.0`` for ``choices[0]``), in the parameter tuple at this key's place.
    """

    name: str
    choices: tuple[str, ...]
    default: str | None = None
    doc: str = ""


@dataclass(frozen=True)
class Var:
    """One state variable of a kind, advanced by its right-hand side.

    Attributes
    ----------
    name : str
        Output field name (``Output: Population: 2.x``), e.g. ``"x"``, ``"r"``.
    unit : str
        SI unit.
    init : float
        Initial value at every node when the config gives none (the config key
        ``<name>_0`` sets it; a later issue lets it be a per-node map).
    doc : str
        One line.
    """

    name: str
    unit: str
    init: float = 0.0
    doc: str = ""


@dataclass(frozen=True)
class CrossDiffusion:
    """A spatial term ``d dst/dt += c lap(src)`` of a kind (5-point Laplacian of ``src``).

    Attributes
    ----------
    src, dst : str
        State variables: the one whose Laplacian is taken, the one it drives.
    coef : str or tuple of str
        Parameter name(s) whose product, times ``factor``, is ``c`` [m^2/s]
        (a tuple builds e.g. ``D * c1`` of a complex diffusion ``D (1 + i c1)``).
    factor : float
        A constant factor (e.g. -1 for ``- c lap(src)``).
    doc : str
        One line.
    """

    src: str
    dst: str
    coef: str | tuple = ()
    factor: float = 1.0
    doc: str = ""

    @property
    def coefs(self) -> tuple[str, ...]:
        """The parameter names of the coefficient, as a tuple."""
        return (self.coef,) if isinstance(self.coef, str) else tuple(self.coef)

    def value(self, values: dict) -> float:
        """``c = factor * prod(values[name] for name in coefs)`` [m^2/s]."""
        out = float(self.factor)
        for name in self.coefs:
            out *= float(values[name])
        return out

    def text(self) -> str:
        """The term as text, e.g. ``"+ D lap(x)"`` or ``"- D*c1 lap(y)"``."""
        sign = "-" if self.factor < 0 else "+"
        mag = abs(self.factor)
        c = "*".join(self.coefs) or "1"
        c = c if mag == 1.0 else f"{mag:g}*{c}"
        return f"{sign} {c} lap({self.src})"


def Diffusion(var: str, coef, factor: float = 1.0, doc: str = "") -> CrossDiffusion:  # noqa: N802
    """A diffusion term ``d var/dt += D lap(var)``: a CrossDiffusion from ``var`` to itself."""
    return CrossDiffusion(var, var, coef, factor, doc)


@dataclass(frozen=True)
class Dynamics:
    """A population kind with local dynamics ``ds/dt = rhs(s, inp, p)``, ``Q = rate(s, p)``.

    Attributes
    ----------
    name : str
        The word that selects the kind in a config (``Dynamics: StuartLandau``).
    params : tuple of Param or Choice
        Its keys, in the order the right-hand side receives them.
    state : tuple of Var
        Its state variables, in the order of the right-hand side's tuple.
    rhs, rate : numba functions
        See the module docstring for the convention.
    equation : str
        The equations in plain text (``parnft models``, docs).
    input_unit : str
        Unit of the input ``inp``.
    timescale : callable, optional
        ``timescale(p: dict) -> float``: the fastest time scale [s] of the
        dynamics at those parameter values (name -> value). The step must satisfy
        ``Deltat <= timescale / steps_per_timescale``, or validation reports the
        largest Deltat that does.
    steps_per_timescale : float
        How many RK4 steps the fastest time scale needs (10 unless stated).
    reference : str
        Where the equations and parameter values come from.
    check : callable, optional
        ``check(p: dict) -> list[str]``: extra rules on the parameter values;
        each string is ``"rule; fix: ..."`` and becomes one config problem.
    """

    name: str
    params: tuple
    state: tuple[Var, ...]
    rhs: Any
    rate: Any
    equation: str
    input_unit: str = "s^-1"
    timescale: Callable[[dict], float] | None = None
    steps_per_timescale: float = 10.0
    reference: str = ""
    check: Callable[[dict], list] | None = None
    extra: dict = field(default_factory=dict)
    #: Named input channels (added with the population family; default: one input).
    #: With channels, ``inp`` is a tuple of floats, one per channel in this order,
    #: each the sum of the input rows of the connections whose ``Dendrite j:`` block
    #: says ``Input: <name>`` (the first channel when it says nothing).
    inputs: tuple[str, ...] = ()
    #: Extra emitted rates besides Q (added with the population family; default none):
    #: each a :class:`Var` (name, unit) with its own history ring, which a propagator
    #: carries with ``Source: <name>``; ``emit(s, p)`` returns their values as a tuple.
    outputs: tuple = ()
    emit: Any = None
    #: Spatial operators on the state (added for fields whose state spreads; default none):
    #: :class:`CrossDiffusion` / :func:`Diffusion` entries, applied in declaration order.
    spatial: tuple = ()

    @property
    def spreading(self) -> tuple[str, ...]:
        """State variables whose Laplacian a spatial operator takes (they get ghost frames)."""
        names = [v.name for v in self.state]
        used = {op.src for op in self.spatial}
        return tuple(n for n in names if n in used)

    @property
    def keys(self) -> tuple[str, ...]:
        """Every ``.conf`` key of the kind: its parameters, then ``<var>_0`` initial values."""
        return tuple(p.name for p in self.params) + tuple(f"{v.name}_0" for v in self.state)

    @property
    def fields(self) -> tuple[str, ...]:
        """Output field names: ``Q``, the extra emitted rates, then the state variables."""
        return ("Q",) + tuple(o.name for o in self.outputs) + tuple(v.name for v in self.state)

    # -- helpers derived from the declaration (added for the population family) ----------
    def resolve(self, given) -> dict:
        """Every parameter and initial value, from ``given`` (``.conf`` key -> value) or defaults.

        Returns ``name -> value``: floats for :class:`Param` and ``<var>_0``,
        the chosen word for :class:`Choice`. A required key absent from
        ``given`` is left out (the config checks report it).
        """
        out: dict = {}
        for p in self.params:
            if p.name in given:
                out[p.name] = given[p.name]
            elif p.default is not None:
                out[p.name] = p.default
        for v in self.state:
            key = f"{v.name}_0"
            out[key] = float(given[key]) if key in given else float(v.init)
        return out

    def param_tuple(self, values: dict) -> tuple[float, ...]:
        """The parameter tuple the right-hand side receives (Choice -> float index)."""
        out = []
        for p in self.params:
            v = values[p.name]
            out.append(float(p.choices.index(v)) if isinstance(p, Choice) else float(v))
        return tuple(out)

    def initial_state(self, values: dict) -> tuple[float, ...]:
        """The initial state tuple (``<var>_0`` values, else each :attr:`Var.init`)."""
        return tuple(float(values.get(f"{v.name}_0", v.init)) for v in self.state)

    @property
    def units(self) -> dict[str, str]:
        """Output field name -> unit: ``Q`` in s^-1, then each state variable's unit."""
        return {"Q": "s^-1", **{o.name: o.unit for o in self.outputs},
                **{v.name: v.unit for v in self.state}}
