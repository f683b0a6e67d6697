"""The boundary registry, the ``Boundary:`` grammar and the generic fill kernels.

References: the cell-centred even mirror about the edge face is
``numpy.pad(mode="symmetric")`` (``[b a | a b c | c b]``); the Dirichlet fill
is ``2 V`` minus it. Any ghost width, any level, only the sides asked for.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from parnft.boundary import KINDS, BoundarySpec, Edge, lookup, parse_boundary
from parnft.boundary.absorbing import mur_constants
from parnft.boundary.calls import field_fills, prime_fills

EDGES = {"y": np.array([0, 1]), "x": np.array([2, 3])}


def _words(text):
    return [(w, 7) for w in text.split()]


@pytest.mark.parametrize("text,y,x", [
    ("absorbing", Edge("absorbing"), Edge("absorbing")),
    ("NEUMANN", Edge("neumann"), Edge("neumann")),
    ("dirichlet -2.5", Edge("dirichlet", (-2.5,)), Edge("dirichlet", (-2.5,))),
    ("x periodic y absorbing", Edge("absorbing"), Edge()),
    ("y dirichlet 1e-3 x neumann", Edge("dirichlet", (1e-3,)), Edge("neumann")),
    ("x absorbing", Edge(), Edge("absorbing")),
])
def test_grammar(text, y, x):
    spec, probs = parse_boundary(_words(text))
    assert probs == []
    assert (spec.y, spec.x) == (y, x)
    assert spec.periods == (y.periodic, x.periodic)
    assert parse_boundary(_words(str(spec)))[0] == spec  # str() reads back


def test_default_is_the_torus():
    assert BoundarySpec().torus and BoundarySpec().periods == (True, True)
    assert str(BoundarySpec()) == "periodic"


def test_registry():
    assert set(KINDS) == {"periodic", "absorbing", "neumann", "dirichlet"}
    for name, kind in KINDS.items():
        assert kind.name == name and kind.summary
        assert kind.periodic == (kind.field_fill is None)
    with pytest.raises(KeyError, match="known: periodic, absorbing"):
        lookup("sponge")


@pytest.mark.parametrize("width", [1, 2])
@pytest.mark.parametrize("kind,value", [("neumann", 0.0), ("dirichlet", 0.75)])
def test_field_fill_is_the_mirror(kind, value, width):
    rng = np.random.default_rng(3)
    ly, lx = 5, 7
    f = np.full((2, ly + 2 * width, lx + 2 * width), np.nan)
    inner = rng.normal(size=(ly, lx))
    f[1, width:-width, width:-width] = inner
    edge = Edge(kind, (value,)) if kind == "dirichlet" else Edge(kind)
    spec = BoundarySpec(y=edge, x=edge)
    for k, args in field_fills(spec, EDGES, f, np.array([1]), width):
        k(*args, 0)
    ref = np.pad(inner, width, mode="symmetric")
    if kind == "dirichlet":
        ref = 2.0 * value - ref
        ref[width:-width, width:-width] = inner
    w = width
    # the four strips are filled, the corners never, level 0 not at all
    np.testing.assert_array_equal(f[1, w:-w, :], ref[w:-w, :])
    np.testing.assert_array_equal(f[1, :, w:-w], ref[:, w:-w])
    assert np.isnan(f[1, :w, :w]).all() and np.isnan(f[0]).all()
    if kind == "dirichlet":  # the face between the edge node and its first ghost holds V
        np.testing.assert_allclose(0.5 * (f[1, w - 1, w:-w] + f[1, w, w:-w]), value,
                                   rtol=0, atol=1e-15)


def test_only_edge_sides_and_open_axes_are_filled():
    f = np.zeros((1, 6, 6))
    f[0, 1:-1, 1:-1] = 1.0
    spec = BoundarySpec(y=Edge("neumann"), x=Edge())  # x periodic: left to the exchange
    calls = field_fills(spec, {"y": np.array([1]), "x": np.array([2, 3])}, f, np.array([0]))
    assert len(calls) == 1
    for k, args in calls:
        k(*args, 0)
    assert (f[0, -1, 1:-1] == 1.0).all() and (f[0, 0, :] == 0).all()
    assert (f[0, 1:-1, 0] == 0).all() and (f[0, 1:-1, -1] == 0).all()
    assert field_fills(BoundarySpec(), EDGES, f, np.array([0])) == []


def test_prime_fills_every_level():
    f = np.zeros((2, 4, 5))
    f[:, 1:-1, 1:-1] = [[[1.0]], [[2.0]]]
    spec = BoundarySpec(y=Edge("absorbing"), x=Edge("dirichlet", (3.0,)))
    for k, args in prime_fills(spec, EDGES, f, (0, 1)):
        k(*args, 0)
    for lev, v in ((0, 1.0), (1, 2.0)):
        assert (f[lev, 0, 1:-1] == v).all()  # absorbing primes by zero gradient
        assert (f[lev, 1:-1, 0] == 6.0 - v).all()  # dirichlet: 2 V - edge


def test_mur_constants():
    k, em = mur_constants(dt=1e-4, dx=1e-3, range_=0.5, gamma=20.0)  # p = 1
    assert k == 0.0 and em == math.exp(-20.0 * 1e-4)
    k, _ = mur_constants(dt=1e-4, dx=4e-3, range_=0.5, gamma=20.0)  # p = 1/4
    assert k == pytest.approx(-0.6, rel=1e-15)
