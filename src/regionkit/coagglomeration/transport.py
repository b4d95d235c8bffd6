r"""Optimal transport between firm distributions: exact W₂², Sinkhorn, batched grid Sinkhorn.

Co-agglomeration studies (Billings & Johnson 2016; Chen, Liu, Ye & Hu 2020) compare
the spatial distribution of the firms of two industries by a transport distance and
rank it among ~1,000 counterfactual industries, so a study of ~180 industries
solves ~3·10⁷ transport problems.  This module holds the solvers; the Monte Carlo
design lives in :mod:`regionkit.coagglomeration.counterfactual`.

Conventions
-----------
* **Coordinates** are projected, metric coordinates (easting, northing) in one unit,
  metres or kilometres — never longitude/latitude degrees.  Costs are squared
  Euclidean distances ``C_ij = |x_i − y_j|²`` in that unit squared (no factor ½,
  unlike GeomLoss), so the exact cost is W₂².
* **ε** (``eps``) is absolute, in the squared coordinate unit (km² if coordinates
  are in km).  Choose it relative to the squared diameter ``D²`` of the domain
  (:func:`squared_diameter`, :attr:`GridSupport.squared_diameter`): ``eps = η·D²``
  with ``η`` about 10⁻³–10⁻².  ``eps`` is POT's ``reg`` exactly: both solve
  ``min ⟨T,C⟩ + ε·Ω(T)`` with the Gibbs kernel ``exp(−C/ε)``; POT's
  ``Ω(T) = Σ T log T`` and our ``KL(T | a⊗b)`` differ by a constant under the
  marginal constraints, so the plans, potentials (up to a constant) and ``⟨T,C⟩``
  agree.  Write ``1e-3`` in Python: ``10^-3`` is bitwise XOR (= −9), which the
  public reference code passes by mistake; a non-positive ``eps`` is an
  :class:`~regionkit.errors.InputError` here.
* **Two objectives.**  ``cost`` is the *entropic transport cost* ``⟨T_ε, C⟩`` of the
  entropic plan — what ``ot.sinkhorn2`` returns by default and what the studies
  report.  ``objective`` is the full regularised value
  ``OT_ε(a,b) = ⟨T_ε,C⟩ + ε·KL(T_ε | a⊗b)``, computed as the dual value
  ``⟨a,f⟩ + ⟨b,g⟩`` (Feydy et al. 2019).
* **Sinkhorn divergence** ``S_ε(a,b) = OT(a,b) − ½·OT(a,a) − ½·OT(b,b)``.  With
  ``objective="regularized"`` (default) ``OT`` is ``OT_ε`` (Feydy et al. 2019,
  Genevay et al. 2018); it is ≥ 0, zero iff ``a = b``, and tends to W₂² as ε → 0.
  The constant by which POT's entropy ``Σ T log T`` differs from the KL term
  cancels in ``S_ε``, so the convention of Ω does not matter.  With
  ``objective="linear"`` ``OT`` is ``⟨T_ε, C⟩`` — what
  ``ot.bregman.empirical_sinkhorn_divergence`` (POT 0.9) returns, except that POT
  clips the result at 0 and we do not.
* **Mass.**  Both measures must have the same total mass ``m`` (relative tolerance
  10⁻⁸); they are normalised to probability vectors, solved, and costs are
  multiplied back by ``m``.  Dual potentials ``f, g`` are those of the normalised
  problem, with ``T_ij = a_i b_j exp((f_i + g_j − C_ij)/ε)``.
* **Stopping rule.**  After each ``f`` (row) update the row marginal is exact;
  Sinkhorn stops when the L1 error of the column marginal of the normalised plan,
  ``Σ_j |(Tᵀ1)_j − b_j|``, is below ``tol`` (POT uses the L2 norm of the same
  vector, checked every 10 iterations).  A problem that does not reach ``tol`` in
  ``max_iter`` iterations gives a :class:`TransportConvergenceWarning` naming it.
* **Scaling vs log domain.**  The scaling (``u, v``) iteration in float64 is used
  when ``max C / ε ≤ 500`` (:data:`SCALING_LIMIT`): kernel entries are then
  ≥ e⁻⁵⁰⁰ ≈ 10⁻²¹⁷ and scalings stay far from overflow.  Beyond, ``log_domain="auto"``
  iterates the potentials (log-sum-exp), which is stable for any ε.  Log-domain kernel
  products are done as one matrix product shifted by the row maximum while every
  (per-axis, on a grid) kernel entry is ≥ e^-600 (:data:`SHIFT_LIMIT`; exact to
  rounding, about 2–3× the time of the scaling iteration), and by an exact chunked
  log-sum-exp beyond (30× slower again on a CPU — use ``backend="torch"`` on a GPU
  there).  A scaling run that produces a non-finite value is re-run in the log
  domain under ``"auto"``.
* **ε-scaling and over-relaxation.**  Plain Sinkhorn needs ever more iterations as
  ``max C / ε`` grows.  With ``eps_scaling`` (default ``"auto"``: when
  ``max C / ε > ANNEAL_LIMIT`` = 100, non-symmetric problems without a warm start) a
  problem is solved first at ``ε_0 = max C`` and then at ε decreasing geometrically
  (factor ≤ ``ANNEAL_FACTOR`` = 0.5) to the target (grid solvers: off unless asked for), each stage to the L1 tolerance
  10⁻² and warm-started from the potentials of the stage before (Kosowsky & Yuille
  1994; Schmitzer 2019; the "ε-scaling" of GeomLoss); the last stage runs to ``tol``.
  A (non-symmetric) stage still running after ``RELAX_AFTER`` iterations with an L1
  error below ``RELAX_BELOW`` is over-relaxed, ``f ← f + ω(T(g) − f)`` and likewise
  for ``g``, with ``ω ≤ RELAX_MAX`` fitted to the observed rate (Thibault et al. 2021;
  Lehmann et al. 2022) and a fall-back to ``ω = 1`` if the error grows; the stopping
  rule is checked on an un-relaxed, row-exact plan.  Neither changes the fixed point:
  results equal those of plain Sinkhorn to the tolerance, and ``iterations`` counts
  all stages.
* **Backends** (grid solver): ``"numpy"`` or ``"torch"`` (float64, CUDA when
  available; torch is optional and imported only when asked for); ``"auto"``
  takes torch only when a CUDA device is available.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import optimize, sparse

from .._checks import check_option
from ..errors import ComputationError, InputError

#: Largest ``max C / ε`` for which the scaling-domain iteration is used under ``"auto"``.
SCALING_LIMIT = 500.0
#: Largest per-axis ``max C / ε`` for which log-domain kernel products use one shifted
#: matrix product (exact to rounding); beyond it an exact, much slower log-sum-exp is used.
SHIFT_LIMIT = 600.0
#: Relative tolerance on equal total mass of the two measures.
MASS_RTOL = 1e-8
#: ``eps_scaling="auto"`` anneals ε when ``max C / ε`` exceeds this.
ANNEAL_LIMIT = 100.0
#: Ratio ``ε_{k+1} / ε_k`` of successive ε under ``eps_scaling="auto"``.
ANNEAL_FACTOR = 0.5
#: ε-scaling starts at ``ε_0 = max C / ANNEAL_START``.
ANNEAL_START = 1.0
#: Marginal (L1) tolerance of the intermediate ε-scaling stages.
ANNEAL_TOL = 1e-2
#: Over-relaxation: after ``RELAX_AFTER`` plain iterations of a stage, a problem still
#: running is over-relaxed with the factor fitted to its rate over the last
#: ``RELAX_WINDOW`` iterations, at most ``RELAX_MAX`` (1 switches it off); it goes back to
#: plain iterations if its error exceeds ``RELAX_GUARD`` times the smallest seen.
RELAX_AFTER = 15
RELAX_WINDOW = 10
RELAX_MAX = 1.98
RELAX_GUARD = 10.0
#: ... and only once its L1 marginal error is below this (the linear regime).
RELAX_BELOW = 0.05

Backend = Literal["numpy", "torch", "auto"]
Objective = Literal["regularized", "linear"]
LogDomain = bool | Literal["auto"]
EpsScaling = float | Literal["auto"] | None


class TransportConvergenceWarning(UserWarning):
    """Sinkhorn did not reach its tolerance for one or more problems.

    Attributes
    ----------
    problems : tuple of int
        Indices of the problems (in the batch) that did not converge.
    marginal_errors : tuple of float
        Their final L1 marginal errors.
    """

    def __init__(
        self,
        message: str,
        problems: tuple[int, ...] = (),
        marginal_errors: tuple[float, ...] = (),
    ) -> None:
        super().__init__(message)
        self.problems = problems
        self.marginal_errors = marginal_errors


# ------------------------------------------------------------------ input checks
def _weights(name: str, values: ArrayLike, *, ndim: int = 1) -> np.ndarray:
    w = np.asarray(values, dtype=float)
    if w.ndim != ndim:
        raise InputError(f"{name}: expected a {ndim}-D array of weights, got shape {w.shape}")
    if w.size == 0:
        raise InputError(f"{name}: no weights")
    bad = ~np.isfinite(w)
    if bad.any():
        raise InputError(f"{name}: non-finite weight at index {_where(bad)}")
    neg = w < 0
    if neg.any():
        at = _where(neg)
        raise InputError(f"{name}: negative weight {w[neg][0]:g} at index {at}; weights must be ≥ 0")
    return w


def _where(mask: np.ndarray) -> Any:
    idx = np.argwhere(mask)[0]
    return int(idx[0]) if idx.size == 1 else tuple(int(i) for i in idx)


def _points(name: str, values: ArrayLike) -> np.ndarray:
    x = np.asarray(values, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[0] == 0:
        raise InputError(f"{name}: expected an (n, d) array of coordinates, got shape {x.shape}")
    bad = ~np.isfinite(x)
    if bad.any():
        raise InputError(f"{name}: non-finite coordinate at row {_where(bad)[0]}")
    return x


def _mass(name_a: str, a: np.ndarray, name_b: str, b: np.ndarray) -> float:
    ma, mb = float(a.sum()), float(b.sum())
    if ma <= 0 or mb <= 0:
        which = name_a if ma <= 0 else name_b
        raise InputError(f"{which}: total mass is 0; a measure needs positive mass")
    if abs(ma - mb) > MASS_RTOL * max(ma, mb):
        raise InputError(
            f"{name_a} and {name_b} have unequal total mass ({ma:.12g} vs {mb:.12g}); "
            "balanced transport needs equal masses (normalise both, e.g. to 1)"
        )
    return ma


def _eps(eps: float) -> float:
    try:
        e = float(eps)
    except (TypeError, ValueError):
        raise InputError(f"eps={eps!r} is not a number") from None
    if not math.isfinite(e) or e <= 0:
        raise InputError(
            f"eps={eps!r} must be a positive finite number (squared coordinate units); "
            "note that 10^-3 in Python is XOR (= -9): write 1e-3"
        )
    return e


def _positive_int(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise InputError(f"{name}={value!r} must be a positive integer")
    return int(value)


def _tol(tol: float) -> float:
    t = float(tol)
    if not math.isfinite(t) or t <= 0:
        raise InputError(f"tol={tol!r} must be a positive finite number")
    return t


def _eps_scaling_option(value: EpsScaling) -> EpsScaling:
    if value is None or (isinstance(value, str) and value == "auto"):
        return value
    if not isinstance(value, str) and not isinstance(value, bool):
        try:
            q = float(value)
        except (TypeError, ValueError):
            q = math.nan
        if 0.0 < q < 1.0:
            return q
    raise InputError(
        f"eps_scaling={value!r} is not allowed; choose a factor in (0, 1), 'auto' or None"
    )


def _log_domain_option(value: LogDomain) -> LogDomain:
    if value is True or value is False or value == "auto":
        return value
    raise InputError(f"log_domain={value!r} is not allowed; choose one of: True, False, 'auto'")


# ------------------------------------------------------------------ costs, exact W2
def squared_distances(x: ArrayLike, y: ArrayLike) -> np.ndarray:
    """Squared Euclidean distances between two point sets.

    Computed coordinate by coordinate as ``Σ_d (x_id − y_jd)²`` (no cancellation,
    never negative), so it is exact for large projected coordinates (metres).

    Parameters
    ----------
    x : array_like, shape (n, d)
        Points in projected metric coordinates (m or km); a 1-D array is ``d = 1``.
    y : array_like, shape (m, d)
        Points in the same coordinates.

    Returns
    -------
    numpy.ndarray, shape (n, m)
        ``|x_i − y_j|²`` in squared coordinate units.

    Examples
    --------
    >>> squared_distances([[0.0, 0.0], [3.0, 0.0]], [[0.0, 4.0]]).ravel().tolist()
    [16.0, 25.0]
    """
    xa, ya = _points("x", x), _points("y", y)
    if xa.shape[1] != ya.shape[1]:
        raise InputError(f"x has {xa.shape[1]} coordinate(s) per point but y has {ya.shape[1]}")
    out = np.zeros((xa.shape[0], ya.shape[0]))
    for d in range(xa.shape[1]):
        diff = xa[:, d, None] - ya[None, :, d]
        out += diff * diff
    return out


def squared_diameter(*points: ArrayLike) -> float:
    """Squared diameter of the bounding box of one or more point sets (scale for ε).

    Examples
    --------
    >>> squared_diameter([[0.0, 0.0]], [[3.0, 4.0]])
    25.0
    """
    if not points:
        raise InputError("squared_diameter needs at least one point set")
    allp = np.vstack([_points(f"points[{i}]", p) for i, p in enumerate(points)])
    return float(np.sum(np.ptp(allp, axis=0) ** 2))


def exact_w2(a: ArrayLike, x: ArrayLike, b: ArrayLike, y: ArrayLike) -> float:
    """Exact squared 2-Wasserstein distance W₂² between two discrete measures.

    Solves the transport linear programme with squared Euclidean cost: by
    :func:`scipy.optimize.linear_sum_assignment` when both measures have the same
    number of points with equal (uniform) weights, otherwise by
    :func:`scipy.optimize.linprog` (HiGHS dual simplex) on the ``n·m``-variable
    LP — meant for small supports (a few hundred points each).  Points of zero
    weight are dropped first.

    Parameters
    ----------
    a : array_like, shape (n,)
        Non-negative weights of the points ``x``.
    x : array_like, shape (n, d)
        Points in projected metric coordinates.
    b : array_like, shape (m,)
        Non-negative weights of ``y``; same total mass as ``a``.
    y : array_like, shape (m, d)
        Points in the same coordinates.

    Returns
    -------
    float
        ``min_T ⟨T, C⟩`` over couplings of ``a`` and ``b`` (for total mass ``m`` this is
        ``m`` times the W₂² of the normalised measures), in squared coordinate units.

    Examples
    --------
    >>> exact_w2([0.5, 0.5], [[0.0, 0.0], [1.0, 0.0]], [1.0], [[0.0, 1.0]])
    1.5
    """
    aa, bb = _weights("a", a), _weights("b", b)
    xx, yy = _points("x", x), _points("y", y)
    _check_cloud("a", aa, "x", xx)
    _check_cloud("b", bb, "y", yy)
    if xx.shape[1] != yy.shape[1]:
        raise InputError(f"x has {xx.shape[1]} coordinate(s) per point but y has {yy.shape[1]}")
    mass = _mass("a", aa, "b", bb)
    return _exact_w2(aa, xx, bb, yy, mass)


def _check_cloud(wname: str, w: np.ndarray, pname: str, p: np.ndarray) -> None:
    if w.shape[0] != p.shape[0]:
        raise InputError(f"{wname} has {w.shape[0]} weights but {pname} has {p.shape[0]} points")


def _is_uniform(w: np.ndarray) -> bool:
    return bool(np.ptp(w) <= 1e-12 * w.max())


def _exact_w2(a: np.ndarray, x: np.ndarray, b: np.ndarray, y: np.ndarray, mass: float) -> float:
    ka, kb = a > 0, b > 0
    a, x, b, y = a[ka], x[ka], b[kb], y[kb]
    cost = squared_distances(x, y)
    n, m = cost.shape
    if n == m and _is_uniform(a) and _is_uniform(b):
        rows, cols = optimize.linear_sum_assignment(cost)
        return float(cost[rows, cols].sum() * (mass / n))
    # normalise to probability vectors: the LP is then well scaled
    pa, pb = a / a.sum(), b / b.sum()
    a_eq = sparse.vstack(
        [
            sparse.kron(sparse.eye(n), np.ones((1, m))),
            sparse.kron(np.ones((1, n)), sparse.eye(m)),
        ],
        format="csr",
    )
    res = optimize.linprog(
        cost.ravel(),
        A_eq=a_eq,
        b_eq=np.concatenate([pa, pb]),
        bounds=(0, None),
        method="highs-ds",
        options={"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10},
    )
    if res.status != 0:
        raise ComputationError(f"exact transport LP failed: {res.message}")
    return float(res.fun * mass)


def exact_w2_batch(a: ArrayLike, x: ArrayLike, b: ArrayLike, ys: ArrayLike) -> np.ndarray:
    """Exact W₂² from one measure to each of a batch of measures (many small problems).

    The typical use is one industry's firms against counterfactual industries of
    ``m`` firms drawn from all firms.

    Parameters
    ----------
    a : array_like, shape (n,)
        Weights of the source points ``x``.
    x : array_like, shape (n, d)
        Source points (projected metric coordinates).
    b : array_like, shape (m,) or (B, m)
        Weights of the targets (shared or one row per problem); each row has the
        mass of ``a``.
    ys : array_like, shape (B, m, d)
        Target point sets.

    Returns
    -------
    numpy.ndarray, shape (B,)
        ``exact_w2(a, x, b[k], ys[k])`` for each ``k``.

    Examples
    --------
    >>> ys = [[[0.0, 1.0]], [[0.0, 2.0]]]
    >>> exact_w2_batch([1.0], [[0.0, 0.0]], [1.0], ys).tolist()
    [1.0, 4.0]
    """
    aa, xx = _weights("a", a), _points("x", x)
    _check_cloud("a", aa, "x", xx)
    yy = np.asarray(ys, dtype=float)
    if yy.ndim != 3 or yy.shape[0] == 0:
        raise InputError(f"ys: expected a (B, m, d) array of point sets, got shape {yy.shape}")
    if not np.isfinite(yy).all():
        raise InputError(f"ys: non-finite coordinate in problem {_where(~np.isfinite(yy))[0]}")
    if yy.shape[2] != xx.shape[1]:
        raise InputError(f"x has {xx.shape[1]} coordinate(s) per point but ys has {yy.shape[2]}")
    bb = np.asarray(b, dtype=float)
    bb = _weights("b", bb, ndim=2 if bb.ndim == 2 else 1)
    if bb.ndim == 1:
        bb = np.broadcast_to(bb, yy.shape[:2])
    if bb.shape != yy.shape[:2]:
        raise InputError(f"b has shape {bb.shape} but ys holds {yy.shape[0]} sets of {yy.shape[1]} points")
    out = np.empty(yy.shape[0])
    for k in range(yy.shape[0]):
        mass = _mass("a", aa, f"b[{k}]", bb[k])
        out[k] = _exact_w2(aa, xx, bb[k], yy[k], mass)
    return out


# ------------------------------------------------------------------ array backends
class _NumpyOps:
    name = "numpy"
    device = "cpu"

    def asarray(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(x, dtype=np.float64)

    def to_numpy(self, x: Any) -> np.ndarray:
        return np.asarray(x)

    def mask(self, m: np.ndarray) -> np.ndarray:
        return m

    exp = staticmethod(np.exp)
    log = staticmethod(np.log)
    abs = staticmethod(np.abs)
    isfinite = staticmethod(np.isfinite)
    where = staticmethod(np.where)
    logaddexp = staticmethod(np.logaddexp)

    def ones_like(self, x: np.ndarray) -> np.ndarray:
        return np.ones_like(x)

    def amax(self, x: np.ndarray, axis: int) -> np.ndarray:
        return x.max(axis=axis, keepdims=True)

    def swap(self, x: np.ndarray) -> np.ndarray:
        return np.swapaxes(x, -1, -2)

    def zeros_like(self, x: np.ndarray) -> np.ndarray:
        return np.zeros_like(x)

    def logmm(self, h: np.ndarray, lk: np.ndarray) -> np.ndarray:
        """``out[..., k] = LSE_l(h[..., l] + lk[k, l])``, chunked to bound memory."""
        lead = h.shape[:-1]
        h2 = h.reshape(-1, h.shape[-1])
        n, m = lk.shape
        out = np.empty((h2.shape[0], n))
        step = max(1, (1 << 21) // (n * m))
        for s in range(0, h2.shape[0], step):
            z = h2[s : s + step, None, :] + lk[None, :, :]
            mx = z.max(axis=-1)
            mx[~np.isfinite(mx)] = 0.0
            z -= mx[..., None]
            np.exp(z, out=z)
            out[s : s + step] = np.log(z.sum(axis=-1)) + mx
        return out.reshape(*lead, n)


class _TorchOps:
    name = "torch"

    def __init__(self) -> None:
        import torch

        self.torch = torch
        self.device = "cuda" if torch.cuda.is_available() else "cpu"

    def asarray(self, x: np.ndarray) -> Any:
        return self.torch.as_tensor(np.ascontiguousarray(x), dtype=self.torch.float64, device=self.device)

    def to_numpy(self, x: Any) -> np.ndarray:
        return x.detach().cpu().numpy()

    def mask(self, m: np.ndarray) -> Any:
        return self.torch.as_tensor(m, device=self.device)

    def exp(self, x: Any) -> Any:
        return self.torch.exp(x)

    def log(self, x: Any) -> Any:
        return self.torch.log(x)

    def abs(self, x: Any) -> Any:
        return self.torch.abs(x)

    def isfinite(self, x: Any) -> Any:
        return self.torch.isfinite(x)

    def where(self, c: Any, x: Any, y: Any) -> Any:
        t = self.torch
        x = x if t.is_tensor(x) else t.tensor(x, dtype=t.float64, device=self.device)
        y = y if t.is_tensor(y) else t.tensor(y, dtype=t.float64, device=self.device)
        return t.where(c, x, y)

    def logaddexp(self, x: Any, y: Any) -> Any:
        return self.torch.logaddexp(x, y)

    def ones_like(self, x: Any) -> Any:
        return self.torch.ones_like(x)

    def amax(self, x: Any, axis: int) -> Any:
        return x.amax(dim=axis, keepdim=True)

    def swap(self, x: Any) -> Any:
        return x.transpose(-1, -2)

    def zeros_like(self, x: Any) -> Any:
        return self.torch.zeros_like(x)

    def logmm(self, h: Any, lk: Any) -> Any:
        lead = h.shape[:-1]
        h2 = h.reshape(-1, h.shape[-1])
        n, m = lk.shape
        step = max(1, (1 << 23 if self.device == "cuda" else 1 << 21) // (n * m))
        parts = [
            self.torch.logsumexp(h2[s : s + step, None, :] + lk[None, :, :], dim=-1)
            for s in range(0, h2.shape[0], step)
        ]
        return self.torch.cat(parts).reshape(*lead, n)


def _backend(name: Backend) -> _NumpyOps | _TorchOps:
    check_option("backend", name, Backend)
    if name == "numpy":
        return _NumpyOps()
    try:
        import torch
    except ImportError:
        if name == "torch":
            raise InputError("backend='torch' needs PyTorch, which is not installed") from None
        return _NumpyOps()
    if name == "auto" and not torch.cuda.is_available():
        return _NumpyOps()
    return _TorchOps()


def _rsum(x: Any) -> Any:
    """Sum over all axes but the first (the batch axis)."""
    return x.reshape(x.shape[0], -1).sum(1)


# ------------------------------------------------------------------ kernels
def _shifted_logmm_left(ops: Any, h: Any, kmat: Any) -> Any:
    """``LSE_l(h[..., l] + log kmat[l, k])`` by one matrix product, shifted by the row max of ``h``.

    Exact to rounding when every kernel entry is ≥ e^-SHIFT_LIMIT: the largest term of each
    sum is then ≥ e^-SHIFT_LIMIT, so nothing that matters underflows.
    """
    m = ops.amax(h, -1)
    m = ops.where(ops.isfinite(m), m, 0.0)
    return ops.log(ops.exp(h - m) @ kmat) + m


def _shifted_logmm_right(ops: Any, kmat: Any, h: Any) -> Any:
    """``LSE_j(log kmat[i, j] + h[..., j, k])`` (along axis −2), shifted by the column max."""
    m = ops.amax(h, -2)
    m = ops.where(ops.isfinite(m), m, 0.0)
    return ops.log(kmat @ ops.exp(h - m)) + m


class _DenseKernel:
    """Dense cost ``C`` (n, m); batched vectors have shape (A, m) / (A, n)."""

    def __init__(self, ops: Any, cost: np.ndarray, eps: float) -> None:
        self.ops = ops
        self.eps = eps
        self.cmax = float(cost.max()) if cost.size else 0.0
        self.shift_ok = self.cmax / eps <= SHIFT_LIMIT
        self.c = ops.asarray(cost)
        self._cost = cost
        self._scaling: tuple[Any, Any] | None = None
        self._log: tuple[Any, Any] | None = None

    def with_eps(self, eps: float) -> _DenseKernel:
        """The same cost with another ``eps`` (a stage of ε-scaling)."""
        return _DenseKernel(self.ops, self._cost, eps)

    def _sk(self) -> tuple[Any, Any]:
        if self._scaling is None:
            k = self.ops.exp(self.c * (-1.0 / self.eps))
            self._scaling = (k, k * self.c)
        return self._scaling

    def _lk(self) -> tuple[Any, Any]:
        if self._log is None:
            lk = self.c * (-1.0 / self.eps)
            with np.errstate(divide="ignore"):
                self._log = (lk, lk + self.ops.log(self.c))
        return self._log

    def k(self, v: Any) -> Any:  # (K v) for a batch of v (A, m) -> (A, n)
        return v @ self._sk()[0].T

    def kt(self, u: Any) -> Any:  # (Kᵀ u): (A, n) -> (A, m)
        return u @ self._sk()[0]

    def kc(self, v: Any) -> Any:  # ((K ⊙ C) v)
        return v @ self._sk()[1].T

    def lse(self, h: Any) -> Any:  # LSE_j(h_j − C_ij/ε)
        if self.shift_ok:
            return _shifted_logmm_left(self.ops, h, self._sk()[0].T)
        return self.ops.logmm(h, self._lk()[0])

    def lset(self, h: Any) -> Any:  # LSE_i(h_i − C_ij/ε)
        if self.shift_ok:
            return _shifted_logmm_left(self.ops, h, self._sk()[0])
        return self.ops.logmm(h, self._lk()[0].T)

    def lse_c(self, h: Any) -> Any:  # LSE_j(h_j − C_ij/ε + log C_ij)
        if self.shift_ok:
            return _shifted_logmm_left(self.ops, h, self._sk()[1].T)
        return self.ops.logmm(h, self._lk()[1])


class _GridKernel:
    """Separable kernel on a grid: ``C = Cy ⊕ Cx``, ``K = Ky ⊗ Kx``; arrays (A, ny, nx)."""

    def __init__(self, ops: Any, cy: np.ndarray, cx: np.ndarray, eps: float) -> None:
        self.ops = ops
        self.eps = eps
        self.cmax = float(cy.max() + cx.max())
        self.shift_ok = max(float(cy.max()), float(cx.max())) / eps <= SHIFT_LIMIT
        self.cy, self.cx = ops.asarray(cy), ops.asarray(cx)
        self._costs = (cy, cx)
        self._scaling: tuple[Any, Any, Any, Any] | None = None
        self._log: tuple[Any, Any, Any, Any] | None = None

    def with_eps(self, eps: float) -> _GridKernel:
        """The same grid with another ``eps`` (a stage of ε-scaling)."""
        return _GridKernel(self.ops, *self._costs, eps)

    def _sk(self) -> tuple[Any, Any, Any, Any]:
        if self._scaling is None:
            ky = self.ops.exp(self.cy * (-1.0 / self.eps))
            kx = self.ops.exp(self.cx * (-1.0 / self.eps))
            self._scaling = (ky, kx, ky * self.cy, kx * self.cx)
        return self._scaling

    def _lk(self) -> tuple[Any, Any, Any, Any]:
        if self._log is None:
            ly = self.cy * (-1.0 / self.eps)
            lx = self.cx * (-1.0 / self.eps)
            with np.errstate(divide="ignore"):
                self._log = (ly, lx, ly + self.ops.log(self.cy), lx + self.ops.log(self.cx))
        return self._log

    def k(self, v: Any) -> Any:  # Ky V Kxᵀ (both kernels symmetric)
        ky, kx, _, _ = self._sk()
        return (ky @ v) @ kx

    kt = k

    def kc(self, v: Any) -> Any:  # (K ⊙ C) V = (Ky⊙Cy) V Kx + Ky V (Kx⊙Cx)
        ky, kx, kcy, kcx = self._sk()
        return (kcy @ v) @ kx + (ky @ v) @ kcx

    def _lse2(self, h: Any, which: tuple[int, int]) -> Any:
        """``out[b,i,k] = LSE_{j,l}(h[b,j,l] + ly[i,j] + lx[k,l])``: along x, then along y.

        ``which`` picks (y, x) kernels: 0 = plain, 1 = multiplied by the cost.
        """
        if self.shift_ok:
            sk = self._sk()
            ky, kx = sk[2 * which[0]], sk[1 + 2 * which[1]]
            t1 = _shifted_logmm_left(self.ops, h, kx)  # kernels are symmetric
            return _shifted_logmm_right(self.ops, ky, t1)
        lk = self._lk()
        ly, lx = lk[2 * which[0]], lk[1 + 2 * which[1]]
        t1 = self.ops.logmm(h, lx)  # [b, j, k]
        t2 = self.ops.logmm(self.ops.swap(t1), ly)  # [b, k, i]
        return self.ops.swap(t2)

    def lse(self, h: Any) -> Any:
        return self._lse2(h, (0, 0))

    lset = lse

    def lse_c(self, h: Any) -> Any:
        return self.ops.logaddexp(self._lse2(h, (1, 0)), self._lse2(h, (0, 1)))


# ------------------------------------------------------------------ the batched core
@dataclass
class _Solved:
    cost: np.ndarray
    dual: np.ndarray
    f: np.ndarray
    g: np.ndarray
    err: np.ndarray
    iters: np.ndarray
    converged: np.ndarray
    log_domain: np.ndarray
    stages: int = 1


def _eps_schedule(
    cmax: float, eps: float, eps_scaling: EpsScaling, *, warm: bool, sym: bool
) -> list[float]:
    """The ε values solved before the target ``eps`` (decreasing; empty: no ε-scaling).

    From ``ε_0 = max C / ANNEAL_START`` down to ``eps`` in equal geometric steps of
    ratio at most ``q`` (``q = ANNEAL_FACTOR`` under ``"auto"``).  ``"auto"`` anneals
    only when ``max C / eps > ANNEAL_LIMIT``, no warm start is given and the problem is
    not symmetric (the averaged symmetric iteration converges in ~10 iterations from
    ``f = 0`` at any ε, fewer than the stages would take).
    """
    if eps_scaling is None:
        return []
    if eps_scaling == "auto":
        if warm or sym or cmax / eps <= ANNEAL_LIMIT:
            return []
        q = ANNEAL_FACTOR
    else:
        q = float(eps_scaling)
    eps0 = cmax / ANNEAL_START
    if eps0 <= eps:
        return []
    stages = math.ceil(math.log(eps0 / eps) / -math.log(q) - 1e-9)
    ratio = (eps0 / eps) ** (1.0 / stages)
    return [eps * ratio ** (stages - k) for k in range(stages)]


def _solve(
    kern: Any,
    a: np.ndarray,
    b: np.ndarray | None,
    *,
    tol: float,
    max_iter: int,
    log_domain: LogDomain,
    init_g: np.ndarray | None,
    eps_scaling: EpsScaling = None,
) -> _Solved:
    """Sinkhorn for a batch: ``a`` (1 or B, *sa) probability vectors, ``b`` (B, *sb).

    ``b=None`` solves the symmetric problems ``OT(a_k, a_k)`` with the averaged
    iteration ``f ← ½(f + T_a(f))`` (Feydy et al. 2019), which converges in a few
    iterations where plain Sinkhorn on ``(a, a)`` oscillates.

    ε-scaling (Kosowsky & Yuille 1994; Schmitzer 2019; GeomLoss): the problems are
    first solved at the decreasing ε of :func:`_eps_schedule`, each stage to the
    loose marginal tolerance ``max(tol, ANNEAL_TOL)`` and warm-started from the
    potentials of the stage before; the last stage, at the target ε, starts from
    those potentials and runs to ``tol``.  The fixed point of the last stage does not
    depend on its starting point, so the results are those of a plain solve (to the
    tolerance).  ``iters`` counts the iterations of all stages.
    """
    schedule = _eps_schedule(
        kern.cmax, kern.eps, eps_scaling, warm=init_g is not None, sym=b is None
    )
    done_iters: np.ndarray | None = None
    init = init_g
    for e_k in schedule:
        stage = _solve_stage(
            kern.with_eps(e_k), a, b, tol=max(tol, ANNEAL_TOL), max_iter=max_iter,
            log_domain=log_domain, init_g=init,
        )
        done_iters = stage.iters if done_iters is None else done_iters + stage.iters
        # a stage that broke down (forced scaling domain overflowed) restarts from 0
        init = np.where(np.isfinite(stage.g), stage.g, 0.0)
    out = _solve_stage(kern, a, b, tol=tol, max_iter=max_iter, log_domain=log_domain, init_g=init)
    if done_iters is not None:
        out.iters += done_iters
    out.stages = len(schedule) + 1
    return out


def _solve_stage(
    kern: Any,
    a: np.ndarray,
    b: np.ndarray | None,
    *,
    tol: float,
    max_iter: int,
    log_domain: LogDomain,
    init_g: np.ndarray | None,
) -> _Solved:
    """One Sinkhorn solve at ``kern.eps`` (see :func:`_solve`); ``init_g`` is ``f`` when ``b=None``."""
    sym = b is None
    bb = a if b is None else b
    nb = bb.shape[0]
    out = _Solved(
        cost=np.full(nb, np.nan),
        dual=np.full(nb, np.nan),
        f=np.full((nb, *a.shape[1:]), np.nan),
        g=np.full(bb.shape, np.nan),
        err=np.full(nb, np.inf),
        iters=np.zeros(nb, dtype=np.int64),
        converged=np.zeros(nb, dtype=bool),
        log_domain=np.zeros(nb, dtype=bool),
    )
    use_log = log_domain is True or (log_domain == "auto" and kern.cmax / kern.eps > SCALING_LIMIT)
    todo = np.arange(nb)
    if not use_log:
        failed = _run(kern, a, bb, todo, out, tol, max_iter, init_g, log=False, sym=sym)
        if log_domain == "auto" and failed.size:
            todo = failed
            use_log = True
    if use_log:
        _run(kern, a, bb, todo, out, tol, max_iter, init_g, log=True, sym=sym)
        out.log_domain[todo] = True
    return out


def _run(
    kern: Any,
    a_np: np.ndarray,
    b_np: np.ndarray,
    todo: np.ndarray,
    out: _Solved,
    tol: float,
    max_iter: int,
    init_g: np.ndarray | None,
    *,
    log: bool,
    sym: bool,
) -> np.ndarray:
    """Iterate the problems ``todo``; write finished ones into ``out``; return failed ones.

    State: the potential ``g`` (log) or ``w = exp(−g/ε)`` (scaling) of the target side; in
    the symmetric case the single potential ``f`` (log) or ``s = exp(f/ε)`` (scaling).
    """
    ops, eps = kern.ops, kern.eps
    per_a = a_np.shape[0] > 1
    idx = todo.copy()
    a = ops.asarray(a_np[idx] if per_a else a_np)
    b = a if sym else ops.asarray(b_np[idx])
    inv = 1.0 / eps
    failed: list[np.ndarray] = []
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        la = ops.log(a)
        lb = la if sym else ops.log(b)
        if init_g is not None:
            g0 = ops.asarray(init_g[idx])
            if sym:  # state f (log) or exp(f/eps)
                state = g0 if log else ops.exp(g0 * inv)
            else:
                state = g0 if log else ops.exp(g0 * (-inv))
        else:
            state = ops.zeros_like(b) if log else ops.ones_like(b)
        # over-relaxation (non-symmetric problems): factor per problem, error history
        omega = np.ones(idx.size)
        hist = np.full((idx.size, RELAX_WINDOW + 1), np.nan)
        best = np.full(idx.size, np.inf)
        frozen = np.zeros(idx.size, dtype=bool)
        fprev: Any = None  # relaxed f (log) or K v (scaling) of the previous iteration
        om: Any = None
        for it in range(1, max_iter + 1):
            relax = not sym and bool((omega > 1.0).any())
            if relax and om is None:
                om = ops.asarray(omega.reshape((-1,) + (1,) * (b_np.ndim - 1)))
            if sym and log:  # state = f;  row marginal of the plan (f, f)
                f = g = state
                tf = kern.lse(la + f * inv) * (-eps)
                col = ops.where(a > 0, a * ops.exp((f - tf) * inv), 0.0)
                nxt = (f + tf) * 0.5
            elif sym:  # state = s = exp(f/eps)
                u = v = a * state
                kv = ku = kern.k(u)
                col = u * ku
                nxt = (state / ku) ** 0.5
            elif log and relax:  # state = g; the plan (f, g) is checked, then both relaxed
                g = state
                f = kern.lse(lb + g * inv) * (-eps)
                col = ops.where(b > 0, b * ops.exp((g - kern.lset(la + f * inv) * (-eps)) * inv), 0.0)
                fprev = fprev + (f - fprev) * om
                nxt = g + (kern.lset(la + fprev * inv) * (-eps) - g) * om
            elif log:  # state = g
                g = state
                fprev = f = kern.lse(lb + g * inv) * (-eps)
                nxt = kern.lset(la + f * inv) * (-eps)
                col = ops.where(b > 0, b * ops.exp((g - nxt) * inv), 0.0)
            elif relax:  # state = w = exp(-g/eps), fprev = K v ~ exp(-f/eps), relaxed geometrically
                v = b / state
                kv = kern.k(v)
                u = ops.where(a > 0, a / kv, 0.0)
                col = v * kern.kt(u)
                fprev = fprev * (kv / fprev) ** om
                nxt = state * (kern.kt(ops.where(a > 0, a / fprev, 0.0)) / state) ** om
            else:  # state = w = exp(-g/eps)
                v = b / state
                fprev = kv = kern.k(v)
                u = ops.where(a > 0, a / kv, 0.0)
                ku = kern.kt(u)
                col = v * ku
                nxt = ku
            err = _rsum(ops.abs(col - b))
            err_np = ops.to_numpy(err)
            if not sym:
                hist[:, it % (RELAX_WINDOW + 1)] = err_np
                if relax:  # safeguard: a relaxed problem whose error grows goes back to ω = 1
                    back = (omega > 1.0) & ~(err_np <= RELAX_GUARD * best)
                    if back.any():
                        omega[back], frozen[back] = 1.0, True
                        om = None
                best = np.minimum(best, err_np)
                if (
                    RELAX_MAX > 1.0
                    and it >= RELAX_AFTER
                    and (it - RELAX_AFTER) % RELAX_WINDOW == 0
                ):
                    now = hist[:, it % (RELAX_WINDOW + 1)]
                    before = hist[:, (it + 1) % (RELAX_WINDOW + 1)]
                    new = np.where(now < RELAX_BELOW, _relax_factor(now, before, omega), omega)
                    new[frozen] = 1.0
                    if (new != omega).any():
                        omega, om = new, None
            bad = ~np.isfinite(err_np)
            done = (err_np < tol) | bad | (it == max_iter)
            if done.any():
                d = ops.mask(done)
                sel = idx[done]
                ad = a[d] if per_a else a
                bd = b[d]
                if log:
                    fd, gd = f[d], g[d]
                    ha = la[d] if per_a else la
                    cost = _rsum(ops.exp(ha + fd * inv + kern.lse_c(lb[d] + gd * inv)))
                else:
                    cost = _rsum(u[d] * kern.kc(v[d]))
                    if sym:
                        fd = gd = ops.log(state[d]) * eps
                    else:
                        fd = ops.log(kv[d]) * (-eps)
                        gd = ops.log(state[d]) * (-eps)
                mass_t = _rsum(col[d])
                dual = (
                    _rsum(ops.where(ad > 0, ad * fd, 0.0))
                    + _rsum(ops.where(bd > 0, bd * gd, 0.0))
                    - (mass_t - 1.0) * eps * (1.0 if sym else 0.0)
                )
                out.cost[sel] = ops.to_numpy(cost)
                out.dual[sel] = ops.to_numpy(dual)
                out.f[sel] = ops.to_numpy(fd)
                out.g[sel] = ops.to_numpy(gd)
                out.err[sel] = np.where(bad[done], np.inf, err_np[done])
                out.iters[sel] = it
                out.converged[sel] = err_np[done] < tol
                if bad.any():
                    failed.append(idx[bad])
                keep = ~done
                if not keep.any():
                    break
                k = ops.mask(keep)
                idx = idx[keep]
                b = b[k]
                lb = lb[k]
                if not sym:
                    omega, hist, best, frozen = omega[keep], hist[keep], best[keep], frozen[keep]
                    fprev = fprev[k]
                    om = None
                if per_a:
                    a, la = a[k], la[k]
                if sym:
                    a, la = b, lb
                state = nxt[k]
            else:
                state = nxt
    return np.concatenate(failed) if failed else np.empty(0, dtype=np.int64)


def _relax_factor(err_now: np.ndarray, err_before: np.ndarray, omega: np.ndarray) -> np.ndarray:
    """Over-relaxation factors from the rate observed over the last ``RELAX_WINDOW`` iterations.

    ``μ = (err_now / err_before)^(1/RELAX_WINDOW)`` is the contraction of the marginal
    error under the factor ``omega``.  Young's relation ``(μ + ω − 1)² = μ ω² θ`` gives
    the rate ``θ`` of plain Sinkhorn (``θ = μ`` at ``ω = 1``), and the asymptotically
    optimal factor is ``2 / (1 + √(1 − θ))`` (Thibault et al. 2021; Lehmann et al. 2022).
    The factor only grows (clipped to ``RELAX_MAX``), so a noisy estimate cannot undo an
    earlier one.
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        mu = (err_now / err_before) ** (1.0 / RELAX_WINDOW)
        theta = (mu + omega - 1.0) ** 2 / (mu * omega**2)
        w = 2.0 / (1.0 + np.sqrt(1.0 - theta))
    ok = np.isfinite(w) & (mu > 0) & (mu < 1) & (theta < 1)
    return np.where(ok, np.clip(w, omega, RELAX_MAX), omega)


def _warn(solved: _Solved, tol: float, max_iter: int, what: str, offset: int = 0) -> None:
    bad = np.flatnonzero(~solved.converged)
    if bad.size == 0:
        return
    errs = solved.err[bad]
    shown = ", ".join(str(int(i) + offset) for i in bad[:20]) + (" …" if bad.size > 20 else "")
    warnings.warn(
        TransportConvergenceWarning(
            f"Sinkhorn ({what}) did not converge for {bad.size} problem(s) [{shown}] in "
            f"{max_iter} iterations: L1 marginal error up to {np.max(errs):.3g} (tol {tol:g}); "
            "raise max_iter or eps",
            tuple(int(i) + offset for i in bad),
            tuple(float(e) for e in errs),
        ),
        stacklevel=3,
    )


# ------------------------------------------------------------------ dense Sinkhorn
@dataclass(frozen=True)
class SinkhornResult:
    """Entropic optimal transport between two discrete measures (:func:`sinkhorn`).

    Attributes
    ----------
    cost : float
        Entropic transport cost ``⟨T, C⟩`` (POT's ``sinkhorn2``), times the mass.
    objective : float
        Regularised value ``⟨T,C⟩ + ε·KL(T | a⊗b)`` (dual value ``⟨a,f⟩+⟨b,g⟩``), times the mass.
    plan : numpy.ndarray, shape (n, m)
        Transport plan ``T`` (carries the mass of the inputs).
    f, g : numpy.ndarray
        Dual potentials of the normalised problem: ``T_ij ∝ a_i b_j e^{(f_i+g_j−C_ij)/ε}``.
    marginal_error : float
        L1 error of the column marginal of the normalised plan (rows are exact).
    iterations : int
    converged : bool
    eps : float
    log_domain : bool
        Whether the log-domain iteration was used (at the target ε).
    stages : int
        Number of ε values solved (1 without ε-scaling); ``iterations`` counts all.
    """

    cost: float
    objective: float
    plan: np.ndarray
    f: np.ndarray
    g: np.ndarray
    marginal_error: float
    iterations: int
    converged: bool
    eps: float
    log_domain: bool
    stages: int = 1

    def summary(self) -> str:
        """One line: costs, convergence and the iteration used."""
        state = "converged" if self.converged else "NOT converged"
        domain = "log domain" if self.log_domain else "scaling domain"
        return (
            f"Sinkhorn (eps={self.eps:g}, {domain}): cost <T,C> = {self.cost:.6g}, "
            f"regularised objective = {self.objective:.6g}; {state} after {self.iterations} "
            f"iterations{f' in {self.stages} eps stages' if self.stages > 1 else ''} "
            f"(L1 marginal error {self.marginal_error:.2e})"
        )

    def to_frame(self) -> pd.DataFrame:
        """One row with the scalar results."""
        return pd.DataFrame(
            {
                "cost": [self.cost],
                "objective": [self.objective],
                "marginal_error": [self.marginal_error],
                "iterations": [self.iterations],
                "converged": [self.converged],
                "eps": [self.eps],
                "log_domain": [self.log_domain],
            }
        )


def _dense_inputs(a: ArrayLike, b: ArrayLike, cost: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    aa, bb = _weights("a", a), _weights("b", b)
    c = np.asarray(cost, dtype=float)
    if c.shape != (aa.size, bb.size):
        raise InputError(f"C has shape {c.shape} but a has {aa.size} and b has {bb.size} weights")
    if not np.isfinite(c).all():
        raise InputError(f"C: non-finite cost at {_where(~np.isfinite(c))}")
    mass = _mass("a", aa, "b", bb)
    return aa, bb, c, mass


def sinkhorn(
    a: ArrayLike,
    b: ArrayLike,
    C: ArrayLike,
    *,
    eps: float,
    tol: float = 1e-4,
    max_iter: int = 10_000,
    log_domain: LogDomain = "auto",
    eps_scaling: EpsScaling = "auto",
) -> SinkhornResult:
    """Entropic optimal transport (Sinkhorn–Knopp) with a dense cost matrix.

    Parameters
    ----------
    a : array_like, shape (n,)
        Non-negative source weights.
    b : array_like, shape (m,)
        Non-negative target weights with the same total mass.
    C : array_like, shape (n, m)
        Cost matrix (e.g. :func:`squared_distances`).
    eps : float
        Entropic regularisation in cost units (POT's ``reg``); see the module notes.
    tol : float, default 1e-4
        Stop when the L1 marginal error of the normalised plan is below ``tol``.
    max_iter : int, default 10000
        Iteration limit; beyond it a :class:`TransportConvergenceWarning` is issued.
    log_domain : bool or "auto", default "auto"
        Log-sum-exp iteration on the potentials; ``"auto"`` uses it when
        ``max C / eps > SCALING_LIMIT`` or the scaling iteration overflows.
    eps_scaling : float in (0, 1), "auto" or None, default "auto"
        ε-scaling (annealing): solve first at ``ε_0 = max C`` and decrease ε
        geometrically by factors of at most ``eps_scaling`` to ``eps``, each stage to the
        L1 tolerance ``max(tol, ANNEAL_TOL)`` (10⁻²) and warm-started from the
        potentials of the previous one (log domain); the last stage, at ``eps``, runs
        to ``tol``.  The result is that of a plain solve (same fixed point, same
        tolerance) in far fewer iterations when ``max C / eps`` is large.  ``"auto"``:
        factor ``ANNEAL_FACTOR`` (0.5) when ``max C / eps > ANNEAL_LIMIT`` (100), plain
        Sinkhorn otherwise; ``None``: plain Sinkhorn.  ``iterations`` counts all stages
        and ``max_iter`` bounds each stage.

    Returns
    -------
    SinkhornResult

    Examples
    --------
    >>> C = squared_distances([[0.0], [1.0]], [[0.0], [1.0]])
    >>> res = sinkhorn([0.5, 0.5], [0.5, 0.5], C, eps=0.1, tol=1e-10)
    >>> round(res.cost, 6), res.converged
    (4.5e-05, True)
    """
    aa, bb, c, _ = _dense_inputs(a, b, C)
    e, t = _eps(eps), _tol(tol)
    mi = _positive_int("max_iter", max_iter)
    ld = _log_domain_option(log_domain)
    es = _eps_scaling_option(eps_scaling)
    res = _sinkhorn_dense(aa, bb, c, e, t, mi, ld, es=es)
    if not res.converged:
        _warn_one("dense", res, t, mi)
    return res


def _warn_one(what: str, res: SinkhornResult, tol: float, max_iter: int) -> None:
    warnings.warn(
        TransportConvergenceWarning(
            f"Sinkhorn ({what}) did not converge for problem 0 in {max_iter} iterations: "
            f"L1 marginal error {res.marginal_error:.3g} (tol {tol:g}); raise max_iter or eps",
            (0,),
            (res.marginal_error,),
        ),
        stacklevel=3,
    )


def _sinkhorn_dense(
    aa: np.ndarray,
    bb: np.ndarray,
    c: np.ndarray,
    e: float,
    t: float,
    mi: int,
    ld: LogDomain,
    *,
    sym: bool = False,
    es: EpsScaling = "auto",
) -> SinkhornResult:
    mass = float(aa.sum())
    kern = _DenseKernel(_NumpyOps(), c, e)
    pa, pb = aa / aa.sum(), bb / bb.sum()
    solved = _solve(
        kern, pa[None], None if sym else pb[None], tol=t, max_iter=mi, log_domain=ld, init_g=None,
        eps_scaling=es,
    )
    f, g = solved.f[0], solved.g[0]
    with np.errstate(divide="ignore", under="ignore", over="ignore", invalid="ignore"):
        logt = np.log(pa)[:, None] + np.log(pb)[None, :] + (f[:, None] + g[None, :] - c) / e
        plan = np.exp(logt) * mass
    return SinkhornResult(
        cost=float(solved.cost[0] * mass),
        objective=float(solved.dual[0] * mass),
        plan=plan,
        f=f,
        g=g,
        marginal_error=float(solved.err[0]),
        iterations=int(solved.iters[0]),
        converged=bool(solved.converged[0]),
        eps=e,
        log_domain=bool(solved.log_domain[0]),
        stages=solved.stages,
    )


@dataclass(frozen=True)
class DivergenceResult:
    """Debiased Sinkhorn divergence ``S = OT(a,b) − ½OT(a,a) − ½OT(b,b)`` (:func:`sinkhorn_divergence`).

    Attributes
    ----------
    value : float
        The divergence.
    ot_ab, ot_aa, ot_bb : float
        The three terms (``objective`` decides which value each is).
    objective : {"regularized", "linear"}
    eps : float
    converged : bool
        All three solves converged.
    iterations : tuple of int
        Iterations of the (ab, aa, bb) solves.
    """

    value: float
    ot_ab: float
    ot_aa: float
    ot_bb: float
    objective: str
    eps: float
    converged: bool
    iterations: tuple[int, int, int]

    def summary(self) -> str:
        """One line with the divergence and its terms."""
        return (
            f"Sinkhorn divergence ({self.objective}, eps={self.eps:g}) = {self.value:.6g} "
            f"[OT(a,b)={self.ot_ab:.6g}, OT(a,a)={self.ot_aa:.6g}, OT(b,b)={self.ot_bb:.6g}]"
            + ("" if self.converged else " — NOT converged")
        )

    def to_frame(self) -> pd.DataFrame:
        """One row with the divergence and its terms."""
        return pd.DataFrame(
            {
                "value": [self.value],
                "ot_ab": [self.ot_ab],
                "ot_aa": [self.ot_aa],
                "ot_bb": [self.ot_bb],
                "objective": [self.objective],
                "eps": [self.eps],
                "converged": [self.converged],
            }
        )


def sinkhorn_divergence(
    a: ArrayLike,
    x: ArrayLike,
    b: ArrayLike,
    y: ArrayLike,
    *,
    eps: float,
    objective: Objective = "regularized",
    tol: float = 1e-4,
    max_iter: int = 10_000,
    log_domain: LogDomain = "auto",
    eps_scaling: EpsScaling = "auto",
) -> DivergenceResult:
    """Debiased Sinkhorn divergence between two weighted point clouds (squared Euclidean cost).

    Parameters
    ----------
    a : array_like, shape (n,)
        Weights of ``x``.
    x : array_like, shape (n, d)
        Points (projected metric coordinates).
    b : array_like, shape (m,)
        Weights of ``y``, same total mass as ``a``.
    y : array_like, shape (m, d)
        Points in the same coordinates.
    eps : float
        Entropic regularisation in squared coordinate units.
    objective : {"regularized", "linear"}, default "regularized"
        ``"regularized"``: the terms are ``OT_ε = ⟨T,C⟩ + ε KL(T|a⊗b)`` (Feydy et al.);
        ``"linear"``: the terms are ``⟨T,C⟩`` as in POT's ``empirical_sinkhorn_divergence``
        (without its clipping at 0).
    tol, max_iter, log_domain, eps_scaling
        As in :func:`sinkhorn`, for each of the three solves (the self terms anneal
        their symmetric iteration the same way).

    Returns
    -------
    DivergenceResult

    Examples
    --------
    >>> x = [[0.0, 0.0], [1.0, 0.0]]
    >>> y = [[0.0, 1.0], [1.0, 1.0]]
    >>> res = sinkhorn_divergence([0.5, 0.5], x, [0.5, 0.5], y, eps=0.01, tol=1e-9)
    >>> round(res.value, 6)  # exact W2² is 1
    1.0
    """
    check_option("objective", objective, Objective)
    aa, bb = _weights("a", a), _weights("b", b)
    xx, yy = _points("x", x), _points("y", y)
    _check_cloud("a", aa, "x", xx)
    _check_cloud("b", bb, "y", yy)
    if xx.shape[1] != yy.shape[1]:
        raise InputError(f"x has {xx.shape[1]} coordinate(s) per point but y has {yy.shape[1]}")
    _mass("a", aa, "b", bb)
    e, t = _eps(eps), _tol(tol)
    mi = _positive_int("max_iter", max_iter)
    ld = _log_domain_option(log_domain)
    es = _eps_scaling_option(eps_scaling)
    terms = [
        _sinkhorn_dense(aa, bb, squared_distances(xx, yy), e, t, mi, ld, es=es),
        _sinkhorn_dense(aa, aa, squared_distances(xx, xx), e, t, mi, ld, sym=True, es=es),
        _sinkhorn_dense(bb, bb, squared_distances(yy, yy), e, t, mi, ld, sym=True, es=es),
    ]
    for label, r in zip(("OT(a,b)", "OT(a,a)", "OT(b,b)"), terms, strict=True):
        if not r.converged:
            _warn_one(f"divergence term {label}", r, t, mi)
    vals = [r.objective if objective == "regularized" else r.cost for r in terms]
    return DivergenceResult(
        value=float(vals[0] - 0.5 * vals[1] - 0.5 * vals[2]),
        ot_ab=float(vals[0]),
        ot_aa=float(vals[1]),
        ot_bb=float(vals[2]),
        objective=objective,
        eps=e,
        converged=all(r.converged for r in terms),
        iterations=(terms[0].iterations, terms[1].iterations, terms[2].iterations),
    )


# ------------------------------------------------------------------ grids
@dataclass(frozen=True)
class GridSupport:
    """Cell centres of a regular ``ny × nx`` grid of square cells of side ``cell_size``.

    Cell ``(i, k)`` (row ``i``, column ``k``) has centre
    ``(x0 + (k + ½)·h, y0 + (i + ½)·h)``: ``(x0, y0)`` is the lower-left corner and
    rows run south to north (a raster's north-up row order is the flip; transport
    distances do not depend on it as long as all histograms use the same grid).
    Histograms on the grid are arrays of shape ``(ny, nx)``; their ``ravel()`` order
    matches :meth:`centres`.

    Attributes
    ----------
    x0, y0 : float
        Lower-left corner in projected metric coordinates.
    cell_size : float
        Cell side ``h`` (same unit).
    nx, ny : int
        Number of columns and rows.

    Examples
    --------
    >>> grid = GridSupport(x0=0.0, y0=0.0, cell_size=1.0, nx=3, ny=2)
    >>> grid.centres()[:2].tolist(), grid.squared_diameter
    ([[0.5, 0.5], [1.5, 0.5]], 5.0)
    """

    x0: float
    y0: float
    cell_size: float
    nx: int
    ny: int

    def __post_init__(self) -> None:
        for name in ("x0", "y0", "cell_size"):
            if not math.isfinite(float(getattr(self, name))):
                raise InputError(f"GridSupport: {name}={getattr(self, name)!r} is not finite")
        if float(self.cell_size) <= 0:
            raise InputError(f"GridSupport: cell_size={self.cell_size!r} must be positive")
        _positive_int("GridSupport: nx", self.nx)
        _positive_int("GridSupport: ny", self.ny)

    @classmethod
    def from_bounds(
        cls, xmin: float, ymin: float, xmax: float, ymax: float, *, cell_size: float
    ) -> GridSupport:
        """Smallest grid with lower-left corner ``(xmin, ymin)`` covering the bounds."""
        h = float(cell_size)
        if not h > 0:
            raise InputError(f"cell_size={cell_size!r} must be positive")
        if xmax < xmin or ymax < ymin:
            raise InputError(f"bounds ({xmin}, {ymin}, {xmax}, {ymax}) have max < min")
        nx = max(1, math.ceil((xmax - xmin) / h))
        ny = max(1, math.ceil((ymax - ymin) / h))
        return cls(x0=float(xmin), y0=float(ymin), cell_size=h, nx=nx, ny=ny)

    @property
    def shape(self) -> tuple[int, int]:
        """``(ny, nx)``."""
        return (self.ny, self.nx)

    @property
    def x_centres(self) -> np.ndarray:
        """Column centres, shape (nx,)."""
        return self.x0 + (np.arange(self.nx) + 0.5) * self.cell_size

    @property
    def y_centres(self) -> np.ndarray:
        """Row centres, shape (ny,)."""
        return self.y0 + (np.arange(self.ny) + 0.5) * self.cell_size

    def centres(self) -> np.ndarray:
        """All cell centres as (ny·nx, 2) ``(x, y)`` rows in ``ravel()`` order."""
        xx, yy = np.meshgrid(self.x_centres, self.y_centres)
        return np.column_stack([xx.ravel(), yy.ravel()])

    @property
    def squared_diameter(self) -> float:
        """Largest squared distance between two cell centres (scale for ``eps``)."""
        h = self.cell_size
        return float(((self.nx - 1) * h) ** 2 + ((self.ny - 1) * h) ** 2)

    def summary(self) -> str:
        """One line describing the grid."""
        return (
            f"grid {self.ny} x {self.nx} cells of {self.cell_size:g}, lower-left "
            f"({self.x0:g}, {self.y0:g}), squared diameter {self.squared_diameter:g}"
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per cell: ``row``, ``col``, ``x``, ``y`` of its centre."""
        c = self.centres()
        rows, cols = np.divmod(np.arange(self.ny * self.nx), self.nx)
        return pd.DataFrame({"row": rows, "col": cols, "x": c[:, 0], "y": c[:, 1]})


def bin_points(
    points_xy: ArrayLike,
    grid: GridSupport,
    *,
    weights: ArrayLike | None = None,
    normalize: bool = True,
) -> np.ndarray:
    """Histogram of points (e.g. firms) on the cells of a grid.

    Parameters
    ----------
    points_xy : array_like, shape (n, 2)
        ``(x, y)`` in the grid's projected coordinates; a point on the upper or right
        edge of the grid falls in the last cell.
    grid : GridSupport
    weights : array_like, shape (n,), optional
        Non-negative point weights (e.g. employment); default 1 per point.
    normalize : bool, default True
        Divide by the total so the histogram sums to 1.

    Returns
    -------
    numpy.ndarray, shape (ny, nx)

    Examples
    --------
    >>> grid = GridSupport(x0=0.0, y0=0.0, cell_size=1.0, nx=2, ny=2)
    >>> bin_points([[0.2, 0.3], [1.5, 0.5], [1.9, 1.9], [2.0, 2.0]], grid).tolist()
    [[0.25, 0.25], [0.0, 0.5]]
    """
    p = _points("points_xy", points_xy)
    if p.shape[1] != 2:
        raise InputError(f"points_xy: expected (n, 2) x, y coordinates, got shape {p.shape}")
    if not isinstance(grid, GridSupport):
        raise InputError(f"grid must be a GridSupport, got {type(grid).__name__}")
    w = np.ones(p.shape[0]) if weights is None else _weights("weights", weights)
    if w.shape[0] != p.shape[0]:
        raise InputError(f"weights has {w.shape[0]} values but points_xy has {p.shape[0]} points")
    h = grid.cell_size
    col = np.floor((p[:, 0] - grid.x0) / h).astype(np.int64)
    row = np.floor((p[:, 1] - grid.y0) / h).astype(np.int64)
    xmax, ymax = grid.x0 + grid.nx * h, grid.y0 + grid.ny * h
    col[(p[:, 0] == xmax)] = grid.nx - 1
    row[(p[:, 1] == ymax)] = grid.ny - 1
    outside = (col < 0) | (col >= grid.nx) | (row < 0) | (row >= grid.ny)
    if outside.any():
        first = int(np.flatnonzero(outside)[0])
        raise InputError(
            f"points_xy: {int(outside.sum())} point(s) outside the grid, first at row {first} "
            f"({p[first, 0]:g}, {p[first, 1]:g}); grid covers x {grid.x0:g}..{xmax:g}, "
            f"y {grid.y0:g}..{ymax:g}"
        )
    hist = np.bincount(row * grid.nx + col, weights=w, minlength=grid.nx * grid.ny)
    hist = hist.reshape(grid.ny, grid.nx)
    if normalize:
        total = hist.sum()
        if total <= 0:
            raise InputError("points_xy: total weight is 0; cannot normalise")
        hist = hist / total
    return hist


# ------------------------------------------------------------------ batched grid Sinkhorn
@dataclass(frozen=True)
class BatchResult:
    """Entropic OT from one histogram to each of a batch on a grid (:func:`grid_sinkhorn_batch`).

    Attributes
    ----------
    costs : numpy.ndarray, shape (B,)
        Entropic transport costs ``⟨T_b, C⟩`` (times the mass).
    objectives : numpy.ndarray, shape (B,)
        Regularised values ``⟨T,C⟩ + ε KL(T | μ⊗ν_b)`` (times the mass).
    iterations : numpy.ndarray of int, shape (B,)
    converged : numpy.ndarray of bool, shape (B,)
    marginal_error : numpy.ndarray, shape (B,)
        L1 marginal errors of the normalised plans.
    f, g : numpy.ndarray, shape (B, ny, nx)
        Dual potentials (normalised problems); pass ``g`` as ``init`` to warm-start.
    eps : float
    log_domain : numpy.ndarray of bool, shape (B,)
        Which problems were solved in the log domain.
    backend : str
        ``"numpy"`` or ``"torch:<device>"``.
    """

    costs: np.ndarray
    objectives: np.ndarray
    iterations: np.ndarray
    converged: np.ndarray
    marginal_error: np.ndarray
    f: np.ndarray
    g: np.ndarray
    eps: float
    log_domain: np.ndarray
    backend: str

    def summary(self) -> str:
        """One line: batch size, convergence, iterations."""
        n = self.costs.size
        return (
            f"grid Sinkhorn batch of {n} (eps={self.eps:g}, {self.backend}): "
            f"{int(self.converged.sum())}/{n} converged, iterations "
            f"{int(self.iterations.min())}–{int(self.iterations.max())}, "
            f"max L1 marginal error {float(np.max(self.marginal_error)):.2e}, "
            f"{int(self.log_domain.sum())} in log domain"
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per problem."""
        frame = pd.DataFrame(
            {
                "cost": self.costs,
                "objective": self.objectives,
                "iterations": self.iterations,
                "converged": self.converged,
                "marginal_error": self.marginal_error,
                "log_domain": self.log_domain,
            }
        )
        frame.index.name = "problem"
        return frame


def _grid_inputs(
    mu: ArrayLike, nus: ArrayLike, grid: GridSupport
) -> tuple[np.ndarray, np.ndarray, float]:
    if not isinstance(grid, GridSupport):
        raise InputError(f"grid must be a GridSupport, got {type(grid).__name__}")
    m = _weights("mu", mu, ndim=2)
    if m.shape != grid.shape:
        raise InputError(f"mu has shape {m.shape} but the grid is {grid.shape} (ny, nx)")
    nu = np.asarray(nus, dtype=float)
    if nu.ndim == 2:
        nu = nu[None]
    nu = _weights("nus", nu, ndim=3)
    if nu.shape[1:] != grid.shape:
        raise InputError(f"nus has shape {nu.shape} but the grid is {grid.shape}: expected (B, ny, nx)")
    mass = float(m.sum())
    if mass <= 0:
        raise InputError("mu: total mass is 0")
    masses = nu.reshape(nu.shape[0], -1).sum(1)
    off = np.abs(masses - mass) > MASS_RTOL * np.maximum(masses, mass)
    if off.any():
        k = int(np.flatnonzero(off)[0])
        raise InputError(
            f"nus[{k}] has total mass {masses[k]:.12g} but mu has {mass:.12g} "
            f"({int(off.sum())} histogram(s) differ); normalise the histograms (bin_points does)"
        )
    return m / mass, nu / masses[:, None, None], mass


def _grid_kernel(grid: GridSupport, eps: float, backend: Backend) -> _GridKernel:
    ops = _backend(backend)
    xc, yc = grid.x_centres, grid.y_centres
    cx = (xc[:, None] - xc[None, :]) ** 2
    cy = (yc[:, None] - yc[None, :]) ** 2
    return _GridKernel(ops, cy, cx, eps)


def _backend_label(ops: Any) -> str:
    return "numpy" if ops.name == "numpy" else f"torch:{ops.device}"


def grid_sinkhorn_batch(
    mu: ArrayLike,
    nus: ArrayLike,
    grid: GridSupport,
    *,
    eps: float,
    tol: float = 1e-4,
    max_iter: int = 10_000,
    init: ArrayLike | None = None,
    log_domain: LogDomain = "auto",
    backend: Backend = "numpy",
    eps_scaling: EpsScaling = None,
) -> BatchResult:
    r"""Batched separable Sinkhorn from one histogram to many on a grid.

    On a grid the Gibbs kernel factorises, ``exp(−|x−y|²/ε) = Ky ⊗ Kx``, so applying it
    to a batch of histograms ``V`` (B, ny, nx) is two matrix products ``Ky V Kxᵀ``
    (``O(B·n·(nx+ny))`` instead of ``O(B·n²)`` for ``n = nx·ny`` cells).  The cost of
    the plan ``T = diag(u) K diag(v)`` is separable too: with ``C = Cy ⊕ Cx``,

    .. math:: ⟨T, C⟩ = Σ_{ik} U_{ik} [(Ky⊙Cy) V Kx + Ky V (Kx⊙Cx)]_{ik}.

    In the log domain each kernel application is a log-sum-exp along x, then along y.
    Each problem stops as soon as its own marginal error is below ``tol``; the others
    go on (the batch is compacted).

    Parameters
    ----------
    mu : array_like, shape (ny, nx)
        Source histogram (non-negative).
    nus : array_like, shape (B, ny, nx) or (ny, nx)
        Target histograms, each with the mass of ``mu`` (:func:`bin_points` gives
        normalised histograms).
    grid : GridSupport
        The grid the histograms live on (cell centres carry the mass).
    eps : float
        Entropic regularisation in squared coordinate units; see the module notes
        (relative to :attr:`GridSupport.squared_diameter`).
    tol : float, default 1e-4
        L1 marginal error at which a problem stops.
    max_iter : int, default 10000
    init : array_like, shape (B, ny, nx) or (ny, nx), optional
        Warm start: dual potentials ``g`` of an earlier :class:`BatchResult` (with the
        same ``eps`` and grid), e.g. of the previous counterfactual draw.
    log_domain : bool or "auto", default "auto"
        ``"auto"``: scaling iteration when ``squared_diameter / eps ≤ SCALING_LIMIT`` (500),
        log domain otherwise or on overflow (see the module notes).
    backend : {"numpy", "torch", "auto"}, default "numpy"
        ``"torch"`` runs the same iteration in torch float64 (CUDA when available);
        ``"auto"`` picks torch only with a CUDA device.
    eps_scaling : float in (0, 1), "auto" or None, default None
        ε-scaling as in :func:`sinkhorn` (``max C`` is the grid's squared diameter);
        ``"auto"`` does not anneal when ``init`` is given.  Off by default on grids:
        with the over-relaxed iteration, annealing saved no iterations in our tests
        (histograms with many empty cells at ``max C / eps`` ≈ 10³).

    Returns
    -------
    BatchResult

    Warns
    -----
    TransportConvergenceWarning
        Naming the problems (indices into ``nus``) that did not converge.

    Examples
    --------
    >>> grid = GridSupport(x0=0.0, y0=0.0, cell_size=1.0, nx=4, ny=3)
    >>> mu = np.zeros((3, 4)); mu[0, 0] = 1.0
    >>> nus = np.zeros((2, 3, 4)); nus[0, 0, 0] = 1.0; nus[1, 2, 3] = 1.0
    >>> res = grid_sinkhorn_batch(mu, nus, grid, eps=0.5)
    >>> res.costs.round(6).tolist()  # |(0,0)-(3,2)|² = 13
    [0.0, 13.0]
    """
    pm, pn, mass = _grid_inputs(mu, nus, grid)
    e, t = _eps(eps), _tol(tol)
    mi = _positive_int("max_iter", max_iter)
    ld = _log_domain_option(log_domain)
    g0 = _init(init, pn.shape)
    kern = _grid_kernel(grid, e, backend)
    es = _eps_scaling_option(eps_scaling)
    solved = _solve(kern, pm[None], pn, tol=t, max_iter=mi, log_domain=ld, init_g=g0, eps_scaling=es)
    _warn(solved, t, mi, "grid batch")
    return BatchResult(
        costs=solved.cost * mass,
        objectives=solved.dual * mass,
        iterations=solved.iters,
        converged=solved.converged,
        marginal_error=solved.err,
        f=solved.f,
        g=solved.g,
        eps=e,
        log_domain=solved.log_domain,
        backend=_backend_label(kern.ops),
    )


def _init(init: ArrayLike | None, shape: tuple[int, ...]) -> np.ndarray | None:
    if init is None:
        return None
    g = np.asarray(init, dtype=float)
    try:
        g = np.broadcast_to(g, shape)
    except ValueError:
        raise InputError(f"init has shape {g.shape}; expected {shape[1:]} or {shape}") from None
    if not np.isfinite(g).all():
        raise InputError("init: non-finite potential (pass the g of a converged BatchResult)")
    return g


@dataclass(frozen=True)
class BatchDivergenceResult:
    """Debiased Sinkhorn divergences from one histogram to a batch (:func:`grid_sinkhorn_divergence_batch`).

    Attributes
    ----------
    values : numpy.ndarray, shape (B,)
        ``OT(μ,ν_b) − ½OT(μ,μ) − ½OT(ν_b,ν_b)``.
    ot_ab : numpy.ndarray, shape (B,)
    ot_aa : float
        Self term of ``mu`` (computed once).
    ot_bb : numpy.ndarray, shape (B,)
    objective : {"regularized", "linear"}
    converged : numpy.ndarray of bool, shape (B,)
        All terms of problem ``b`` converged.
    iterations : numpy.ndarray of int, shape (B,)
        Iterations of the cross term ``OT(μ, ν_b)``.
    eps : float
    backend : str
    cross : BatchResult
        The cross-term solve (its ``g`` warm-starts the next batch).
    """

    values: np.ndarray
    ot_ab: np.ndarray
    ot_aa: float
    ot_bb: np.ndarray
    objective: str
    converged: np.ndarray
    iterations: np.ndarray
    eps: float
    backend: str
    cross: BatchResult

    def summary(self) -> str:
        """One line: batch size, range of the divergences, convergence."""
        return (
            f"grid Sinkhorn divergence batch of {self.values.size} ({self.objective}, "
            f"eps={self.eps:g}, {self.backend}): values {float(self.values.min()):.6g}"
            f"–{float(self.values.max()):.6g}; {int(self.converged.sum())}/{self.values.size} converged"
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per problem: divergence and its terms."""
        frame = pd.DataFrame(
            {
                "value": self.values,
                "ot_ab": self.ot_ab,
                "ot_aa": self.ot_aa,
                "ot_bb": self.ot_bb,
                "converged": self.converged,
                "iterations": self.iterations,
            }
        )
        frame.index.name = "problem"
        return frame


def grid_sinkhorn_divergence_batch(
    mu: ArrayLike,
    nus: ArrayLike,
    grid: GridSupport,
    *,
    eps: float,
    objective: Objective = "regularized",
    tol: float = 1e-4,
    max_iter: int = 10_000,
    init: ArrayLike | None = None,
    log_domain: LogDomain = "auto",
    backend: Backend = "numpy",
    eps_scaling: EpsScaling = None,
) -> BatchDivergenceResult:
    """Debiased Sinkhorn divergences from one histogram to each of a batch on a grid.

    ``S(μ, ν_b) = OT(μ,ν_b) − ½·OT(μ,μ) − ½·OT(ν_b,ν_b)``: the self term of ``mu`` is
    solved once, the self terms of the ``nus`` as one batch.  Parameters as in
    :func:`grid_sinkhorn_batch`; ``objective`` as in :func:`sinkhorn_divergence`;
    ``init`` warm-starts the cross terms only.

    Returns
    -------
    BatchDivergenceResult

    Examples
    --------
    >>> grid = GridSupport(x0=0.0, y0=0.0, cell_size=1.0, nx=6, ny=6)
    >>> mu = np.zeros((6, 6)); mu[1, 1] = 1.0
    >>> nus = np.zeros((1, 6, 6)); nus[0, 1, 4] = 1.0
    >>> res = grid_sinkhorn_divergence_batch(mu, nus, grid, eps=0.3, tol=1e-9)
    >>> res.values.round(6).tolist()  # two Diracs 3 cells apart: W2² = 9
    [9.0]
    """
    check_option("objective", objective, Objective)
    pm, pn, mass = _grid_inputs(mu, nus, grid)
    e, t = _eps(eps), _tol(tol)
    mi = _positive_int("max_iter", max_iter)
    ld = _log_domain_option(log_domain)
    g0 = _init(init, pn.shape)
    kern = _grid_kernel(grid, e, backend)
    es = _eps_scaling_option(eps_scaling)
    opts = dict(tol=t, max_iter=mi, log_domain=ld, eps_scaling=es)
    ab = _solve(kern, pm[None], pn, init_g=g0, **opts)
    aa = _solve(kern, pm[None], None, init_g=None, **opts)
    bb = _solve(kern, pn, None, init_g=None, **opts)
    _warn(ab, t, mi, "divergence: cross terms OT(mu, nus[k])")
    _warn(aa, t, mi, "divergence: self term OT(mu, mu)")
    _warn(bb, t, mi, "divergence: self terms OT(nus[k], nus[k])")
    pick: Callable[[_Solved], np.ndarray] = (
        (lambda s: s.dual) if objective == "regularized" else (lambda s: s.cost)
    )
    v_ab, v_aa, v_bb = pick(ab) * mass, float(pick(aa)[0] * mass), pick(bb) * mass
    cross = BatchResult(
        costs=ab.cost * mass,
        objectives=ab.dual * mass,
        iterations=ab.iters,
        converged=ab.converged,
        marginal_error=ab.err,
        f=ab.f,
        g=ab.g,
        eps=e,
        log_domain=ab.log_domain,
        backend=_backend_label(kern.ops),
    )
    return BatchDivergenceResult(
        values=v_ab - 0.5 * v_aa - 0.5 * v_bb,
        ot_ab=v_ab,
        ot_aa=v_aa,
        ot_bb=v_bb,
        objective=objective,
        converged=ab.converged & bool(aa.converged[0]) & bb.converged,
        iterations=ab.iters,
        eps=e,
        backend=_backend_label(kern.ops),
        cross=cross,
    )


__all__ = [
    "SCALING_LIMIT",
    "BatchDivergenceResult",
    "BatchResult",
    "DivergenceResult",
    "GridSupport",
    "SinkhornResult",
    "TransportConvergenceWarning",
    "bin_points",
    "exact_w2",
    "exact_w2_batch",
    "grid_sinkhorn_batch",
    "grid_sinkhorn_divergence_batch",
    "sinkhorn",
    "sinkhorn_divergence",
    "squared_diameter",
    "squared_distances",
]
