"""Typed, immutable description of a model, as read from a ``.conf`` file.

Every object is a frozen dataclass. Parameters that differ between kinds of the
same family (a Sigmoid's ``Theta``, a BCM coupling's ``t_BCM``) live in a
:class:`Params` mapping keyed by the ``.conf`` key, so that a new kind needs a
new model module and a registry line, never a new field here.

Every value keeps its source position: each spec object has ``loc``, a
:class:`Params` of ``key -> line number`` (1-based) in :attr:`ModelSpec.path`.

Indices are 1-based, as in the ``.conf`` file (``Population 2``, ``Coupling 3``).
The spec is picklable so that rank 0 can broadcast it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from parnft.boundary.spec import BoundarySpec


class Params(Mapping):
    """An immutable, picklable, ordered mapping of ``.conf`` keys to values.

    Values are ``float``, ``str`` or ``tuple`` of floats (lists such as
    per-node ``nu`` or ``Tau``).
    """

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[str, Any] | None = None, **kw: Any) -> None:
        d = dict(items or {})
        d.update(kw)
        object.__setattr__(self, "_items", tuple(d.items()))

    def __getitem__(self, key: str) -> Any:
        for k, v in self._items:
            if k == key:
                return v
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return (k for k, _ in self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Params({dict(self._items)!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return dict(self._items) == dict(other.items())
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple((k, v if not isinstance(v, list) else tuple(v)) for k, v in self._items))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Params is immutable")

    def __reduce__(self):
        return (Params, (dict(self._items),))


def _empty() -> Params:
    return Params()


@dataclass(frozen=True)
class TimeSpec:
    """Simulated duration and step.

    Attributes
    ----------
    time : float
        Total simulated time ``Time`` [s].
    deltat : float
        Integration step ``Deltat`` [s].
    steps : int
        Number of steps, ``round(time / deltat)``.
    """

    time: float
    deltat: float
    steps: int
    loc: Params = field(default_factory=_empty)


@dataclass(frozen=True)
class GridSpec:
    """The 2D node grid shared by all populations.

    Attributes
    ----------
    nodes : int
        Total number of nodes ``Nodes``.
    longside : int
        Nodes along x (``Longside nodes``; ``sqrt(nodes)`` when absent).
    shortside : int
        Nodes along y, ``nodes // longside``.
    topology : str
        ``"Torus"`` (default), ``"Sphere"`` or ``"Nonperiodic"``.
    bath : float or None
        ``Bath`` value of a Nonperiodic topology.
    boundary : parnft.boundary.BoundarySpec
        The edges' boundaries (parnft's ``Boundary:`` key; the torus when
        absent, ``docs/boundaries.md``).

    Notes
    -----
    Node index (0-based) is ``y * longside + x``. ``Nodes`` = 1 is a single
    point (Wave becomes Harmonic).
    """

    nodes: int
    longside: int
    shortside: int
    topology: str = "Torus"
    bath: float | None = None
    loc: Params = field(default_factory=_empty)
    boundary: BoundarySpec = field(default_factory=BoundarySpec)

    @property
    def shape(self) -> tuple[int, int]:
        """``(ny, nx) = (shortside, longside)``, C order of the node index."""
        return (self.shortside, self.longside)


@dataclass(frozen=True)
class Connection:
    """One non-zero entry of the connection matrix.

    Attributes
    ----------
    index : int
        Connection number j (1-based; rows top to bottom, then columns).
    pre : int
        Presynaptic (source, "From") population, 1-based.
    post : int
        Postsynaptic (target, "To") population, 1-based.
    """

    index: int
    pre: int
    post: int
    loc: Params = field(default_factory=_empty)


@dataclass(frozen=True)
class FiringSpec:
    """Firing response of a neural population.

    Attributes
    ----------
    kind : str
        ``"Response"`` (plain), ``"GlutamateResponse"`` or ``"Bursting"``.
    function : str or None
        ``"Sigmoid"``, ``"Linear"``, ``"Quadratic"``, ``"Cubic"``; None for Bursting.
    params : Params
        All numeric keys: ``Theta``, ``Sigma``, ``Qmax``, ``a``..``d``,
        ``Lambda``, ``tGlu``, the Bursting keys (``Htilde``, ``gX``, ...).
    """

    kind: str
    function: str | None
    params: Params = field(default_factory=_empty)
    loc: Params = field(default_factory=_empty)


@dataclass(frozen=True)
class DynamicsSpec:
    """Local dynamics of a population (``Dynamics: <Kind>``, parnft only).

    Attributes
    ----------
    kind : str
        Name of a registered :class:`parnft.model.declare.Dynamics` kind.
    params : Params
        The keys as written: numbers, or words for Choice keys.
    """

    kind: str
    params: Params = field(default_factory=_empty)
    loc: Params = field(default_factory=_empty)


@dataclass(frozen=True)
class StimulusSpec:
    """One time series of a stimulus population.

    Attributes
    ----------
    mode : str
        ``Const``, ``PulseRect``, ``PulseSine``, ``PulseSigmoid``, ``Sine``,
        ``White``, ``WhiteCoherent``, ``PAS``, ``Burst``; ``Superimpose``
        holds the summed series in ``parts``.
    onset : float
        ``Onset`` [s], default 0.
    duration : float or None
        ``Duration`` [s]; None means forever.
    nodes : tuple of int
        1-based ``Node`` subset; empty means all nodes.
    params : Params
        The mode's keys (``Mean``, ``Amplitude``, ``Width``, ``ASD``, ...).
    parts : tuple of StimulusSpec
        For ``Superimpose`` only.
    """

    mode: str
    onset: float = 0.0
    duration: float | None = None
    nodes: tuple[int, ...] = ()
    params: Params = field(default_factory=_empty)
    parts: tuple[StimulusSpec, ...] = ()
    loc: Params = field(default_factory=_empty)


@dataclass(frozen=True)
class PopulationSpec:
    """A population (``Population k``).

    Attributes
    ----------
    index : int
        1-based population number.
    name : str
        Free text after ``Population k:`` (may be empty).
    length : float
        Side length ``Length`` [m] of the (long side of the) grid.
    q_init : float
        Initial firing rate ``Q`` [s^-1] (neural), or the stimulus' initial
        value (NFTsim: the first ``Mean`` of its stimulus; 0 if none).
    firing : FiringSpec or None
        Neural populations only.
    stimulus : StimulusSpec or None
        Stimulus populations only.
    """

    index: int
    name: str
    length: float
    q_init: float
    firing: FiringSpec | None = None
    stimulus: StimulusSpec | None = None
    loc: Params = field(default_factory=_empty)
    #: Local dynamics (parnft only); a neural population has this or ``firing``.
    dynamics: DynamicsSpec | None = None

    @property
    def is_stimulus(self) -> bool:
        """True for a population driven by a Timeseries (no incoming connection)."""
        return self.stimulus is not None


@dataclass(frozen=True)
class DendriteSpec:
    """Dendrite j of connection j (lives in the postsynaptic population).

    Attributes
    ----------
    index : int
        Connection number j.
    kind : str
        ``"Dendrite"`` (RK4), ``"Integral"`` or ``"Ramp"``.
    v_init : float or str or None
        ``V`` key: ``"Steady"``, a number, or None when absent.
    alpha, beta : float
        Rate constants [s^-1].
    params : Params
        Kind extras (``alpha2``, ``beta2``, ``t1``..``t4`` for Ramp).
    """

    index: int
    kind: str
    alpha: float
    beta: float
    v_init: float | str | None = None
    params: Params = field(default_factory=_empty)
    loc: Params = field(default_factory=_empty)


@dataclass(frozen=True)
class PropagatorSpec:
    """Propagator j of connection j.

    Attributes
    ----------
    index : int
        Connection number j.
    kind : str
        ``Map``, ``Wave``, ``WaveLegacy``, ``Harmonic``, ``HarmonicIntegral``.
    phi_init : float or None
        ``phi`` key; None means steady state (Qinit of the presynaptic population).
    tau : tuple of float
        ``Tau`` [s]: one value, or one per node. ``(0.0,)`` when absent.
    range : float or None
        ``Range`` r [m].
    gamma : float or None
        ``gamma`` [s^-1]; derived as velocity/Range when only ``velocity`` given.
    velocity : float or None
        ``velocity`` [m/s] when given.
    """

    index: int
    kind: str
    phi_init: float | None = None
    tau: tuple[float, ...] = (0.0,)
    range: float | None = None
    gamma: float | None = None
    velocity: float | None = None
    loc: Params = field(default_factory=_empty)
    #: ``Source:`` (parnft only): an extra emitted rate of a presynaptic Dynamics
    #: population to carry instead of its Q.
    source: str | None = None


@dataclass(frozen=True)
class CouplingSpec:
    """Coupling j of connection j.

    Attributes
    ----------
    index : int
        Connection number j.
    kind : str
        ``Map``, ``Matrix``, ``Ramp``, ``DiffArctan``, ``CaDP``, ``BCM``,
        ``BCM-Spatial``.
    nu : tuple of float
        The ``nu`` list (one value, one per node, or N^2 for Matrix);
        ``()`` for kinds without ``nu`` (DiffArctan).
    params : Params
        Every other key (``timepoints`` as a tuple, ``nu_max``, ``t_BCM``, ...).
    """

    index: int
    kind: str
    nu: tuple[float, ...] = ()
    params: Params = field(default_factory=_empty)
    loc: Params = field(default_factory=_empty)


@dataclass(frozen=True)
class OutputSpec:
    """The ``Output`` block.

    Attributes
    ----------
    nodes : tuple of int
        1-based node numbers; empty means all nodes.
    start : float
        ``Start`` [s], default 0.
    interval : float or None
        ``Interval`` [s]; None means every step.
    population, dendrite, propagator, coupling : tuple of str
        Items as written: ``"2"`` (all fields of object 2) or ``"2.Q"``.
    """

    nodes: tuple[int, ...] = ()
    start: float = 0.0
    interval: float | None = None
    population: tuple[str, ...] = ()
    dendrite: tuple[str, ...] = ()
    propagator: tuple[str, ...] = ()
    coupling: tuple[str, ...] = ()
    loc: Params = field(default_factory=_empty)


@dataclass(frozen=True)
class ModelSpec:
    """A whole model, validated.

    Attributes
    ----------
    path : str
        The file it was read from (``"<string>"`` for text).
    text : str
        The file's full text (echoed into outputs).
    header : str
        The free text before ``Time:``.
    time : TimeSpec
    grid : GridSpec
    connections : tuple of Connection
        In connection order j = 1..m.
    populations : tuple of PopulationSpec
        In order k = 1..n.
    dendrites, propagators, couplings : tuple
        In connection order j = 1..m (one each per connection).
    output : OutputSpec
    warnings : tuple of Problem
        Things legal but probably not meant (ignored words after a value, a
        negative Qmax, Interval > Time, ...): ``parnft validate`` and ``parnft
        run`` print them once (rank 0); they never stop a run.
    """

    path: str
    text: str
    header: str
    time: TimeSpec
    grid: GridSpec
    connections: tuple[Connection, ...]
    populations: tuple[PopulationSpec, ...]
    dendrites: tuple[DendriteSpec, ...]
    propagators: tuple[PropagatorSpec, ...]
    couplings: tuple[CouplingSpec, ...]
    output: OutputSpec
    warnings: tuple = ()
    #: Plugin files (absolute paths) whose Dynamics kinds the model uses; every rank
    #: loads them before building the model (:mod:`parnft.model.plugins`).
    plugins: tuple[str, ...] = ()

    def incoming(self, population: int) -> tuple[Connection, ...]:
        """Connections whose postsynaptic population is ``population`` (1-based)."""
        return tuple(c for c in self.connections if c.post == population)

    def outgoing(self, population: int) -> tuple[Connection, ...]:
        """Connections whose presynaptic population is ``population`` (1-based)."""
        return tuple(c for c in self.connections if c.pre == population)
