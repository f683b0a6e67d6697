"""Counter-based normal generator: distribution, independence, key dependence.

Statistical tolerances are 5 standard errors of each estimator for the
sample size used (false-failure probability below 1e-6 per check).
"""

from __future__ import annotations

import numpy as np

from parnft.kernels.rng import normal_field

N = 400_000


def draws(seed=1, stream=1, step=0, n=N, start=0):
    out = np.empty(n)
    normal_field(out, seed, stream, np.arange(start, start + n, dtype=np.int64), step)
    return out


def test_moments_of_a_standard_normal():
    z = draws()
    se = 1 / np.sqrt(N)
    assert abs(z.mean()) < 5 * se
    assert abs(z.var() - 1) < 5 * np.sqrt(2 / N)
    assert abs(np.mean(z**3)) < 5 * np.sqrt(15 / N)
    assert abs(np.mean(z**4) - 3) < 5 * np.sqrt(96 / N)
    # tail mass beyond 3 sigma: 0.0027
    p = np.mean(np.abs(z) > 3)
    assert abs(p - 0.0026998) < 5 * np.sqrt(0.0027 / N)


def test_independent_across_nodes_steps_and_keys():
    a, b = draws(step=5), draws(step=6)
    c, d = draws(stream=2, step=5), draws(seed=2, step=5)
    lim = 5 / np.sqrt(N)
    for x, y in ((a, b), (a, c), (a, d), (a[:-1], a[1:])):
        assert abs(np.corrcoef(x, y)[0, 1]) < lim


def test_draw_depends_only_on_the_key():
    # the same global nodes give the same numbers whatever slice a rank holds
    full = draws(n=1000)
    part = draws(n=300, start=500)
    np.testing.assert_array_equal(full[500:800], part)
    assert not np.array_equal(draws(step=1, n=100), draws(step=2, n=100))
