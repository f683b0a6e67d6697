"""A safe evaluator of per-node map expressions ``expr(...)`` in x and y.

The text is parsed with :mod:`ast` and only a small whitelist of node types
is evaluated, with numpy on whole arrays; nothing is passed to ``eval``, no
attribute, subscript, lambda, comprehension or name outside the table below
is accepted. Allowed:

* numbers, ``+ - * / ** %``, unary ``-`` and ``+``, comparisons
  (``< <= > >= == !=``, giving 1.0 or 0.0), ``and``/``or``/``not``
  (element-wise), ``a if c else b`` (element-wise, like ``where``);
* the names ``x``, ``y`` (cell centres [m]), ``Lx``, ``Ly`` (sheet sides
  [m]), ``dx`` (grid spacing [m]), ``pi`` and ``e``;
* the functions of :data:`FUNCTIONS` (numpy ufuncs, ``where``, ``minimum``,
  ``maximum``, ``clip``, ...).

Example: a Gaussian patch of raised threshold in the middle of the sheet::

    Theta: expr(0.01292 + 0.003 * exp(-((x - Lx/2)**2 + (y - Ly/2)**2) / (2 * 0.05**2)))
"""

from __future__ import annotations

import ast
import math
import operator

import numpy as np

#: Functions an expression may call: name -> (numpy function, number of arguments).
FUNCTIONS = {
    "exp": (np.exp, 1), "log": (np.log, 1), "log10": (np.log10, 1), "sqrt": (np.sqrt, 1),
    "sin": (np.sin, 1), "cos": (np.cos, 1), "tan": (np.tan, 1), "tanh": (np.tanh, 1),
    "arctan": (np.arctan, 1), "abs": (np.abs, 1), "floor": (np.floor, 1),
    "ceil": (np.ceil, 1), "sign": (np.sign, 1), "heaviside": (np.heaviside, 2),
    "arctan2": (np.arctan2, 2), "hypot": (np.hypot, 2), "minimum": (np.minimum, 2),
    "maximum": (np.maximum, 2), "where": (np.where, 3), "clip": (np.clip, 3),
}
_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
           ast.Div: operator.truediv, ast.Pow: operator.pow, ast.Mod: operator.mod}
_COMPARE = {ast.Lt: np.less, ast.LtE: np.less_equal, ast.Gt: np.greater,
            ast.GtE: np.greater_equal, ast.Eq: np.equal, ast.NotEq: np.not_equal}
#: Longest expression accepted [characters].
MAX_LENGTH = 2000


class ExprError(ValueError):
    """An expression that cannot be evaluated; the message says what and how to fix it."""


def names(shape: tuple[int, int], dx: float) -> dict[str, object]:
    """The variables of an expression on a ``(ny, nx)`` grid of spacing ``dx`` [m].

    ``x`` and ``y`` are the cell centres ``(i + 1/2) dx`` and ``(j + 1/2) dx``
    of column i and row j, as ``(ny, nx)`` arrays.
    """
    ny, nx = shape
    xs = (np.arange(nx, dtype=float) + 0.5) * dx
    ys = (np.arange(ny, dtype=float) + 0.5) * dx
    y, x = np.meshgrid(ys, xs, indexing="ij")
    return {"x": x, "y": y, "Lx": nx * dx, "Ly": ny * dx, "dx": dx, "pi": math.pi, "e": math.e}


def evaluate(text: str, shape: tuple[int, int], dx: float) -> np.ndarray:
    """The ``(ny, nx)`` float64 values of expression ``text`` at every node.

    Raises
    ------
    ExprError
        For a syntax error, a name or construct outside the whitelist, or a
        result that is not one number per node.
    """
    if len(text) > MAX_LENGTH:
        raise ExprError(f"the expression is longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExprError(f"the expression is not valid ({exc.msg})") from None
    env = names(shape, dx)
    with np.errstate(all="ignore"):  # NaN and inf are reported by the map checks
        out = _eval(tree.body, env)
    out = np.asarray(out, dtype=float)
    try:
        return np.array(np.broadcast_to(out, shape), dtype=np.float64)
    except ValueError:
        raise ExprError(f"the expression gives shape {out.shape}, not the grid's "
                        f"{shape}") from None


def _eval(node, env):
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) \
            and not isinstance(node.value, bool):
        return float(node.value)
    if isinstance(node, ast.Name):
        if node.id not in env:
            raise ExprError(f"unknown name '{node.id}' (known: {', '.join(env)})")
        return env[node.id]
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        return _BINARY[type(node.op)](_eval(node.left, env), _eval(node.right, env))
    if isinstance(node, ast.UnaryOp):
        v = _eval(node.operand, env)
        if isinstance(node.op, ast.USub):
            return -v
        if isinstance(node.op, ast.UAdd):
            return +v
        if isinstance(node.op, ast.Not):
            return np.logical_not(v).astype(float)
    if isinstance(node, ast.Compare):
        left, out = _eval(node.left, env), None
        for op, right in zip(node.ops, node.comparators, strict=True):
            if type(op) not in _COMPARE:
                break
            r = _eval(right, env)
            part = _COMPARE[type(op)](left, r)
            out = part if out is None else np.logical_and(out, part)
            left = r
        else:
            return np.asarray(out, dtype=float)
    if isinstance(node, ast.BoolOp):
        vals = [np.asarray(_eval(v, env)) != 0 for v in node.values]
        fn = np.logical_and if isinstance(node.op, ast.And) else np.logical_or
        out = vals[0]
        for v in vals[1:]:
            out = fn(out, v)
        return out.astype(float)
    if isinstance(node, ast.IfExp):
        return np.where(np.asarray(_eval(node.test, env)) != 0, _eval(node.body, env),
                        _eval(node.orelse, env))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        name = node.func.id
        if name not in FUNCTIONS:
            raise ExprError(f"unknown function '{name}' (known: {', '.join(FUNCTIONS)})")
        fn, nargs = FUNCTIONS[name]
        if len(node.args) != nargs:
            raise ExprError(f"{name}() takes {nargs} argument{'s' if nargs > 1 else ''}, "
                            f"{len(node.args)} given")
        args = [_eval(a, env) for a in node.args]
        if name == "where":
            args[0] = np.asarray(args[0]) != 0
        return fn(*args)
    what = type(node).__name__
    raise ExprError(f"'{what}' is not allowed in a map expression (numbers, x, y, Lx, Ly, dx, "
                    "pi, e, + - * / ** %, comparisons and the functions "
                    + ", ".join(FUNCTIONS) + ")")
