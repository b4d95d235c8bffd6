r"""Monte Carlo co-agglomeration of industries from firm locations.

For an ordered pair of industries ``(j, k)`` with ``N_j`` and ``N_k`` firms,
``W(j, k)`` is a transport distance between the two firm distributions
(uniform weights on the firm locations, or their histograms on a grid).  A
counterfactual industry ``k~`` is ``N_k`` locations drawn at random *without
replacement* from the pool of **all** firms; with ``R`` draws (Billings &
Johnson 2016; Chen, Liu, Ye & Hu 2020)

.. math:: \mathrm{Coagg}(j, k) = \frac{1}{R} \#\{r : W(j, k) < W(j, \tilde k_r)\},

and ``(j, k)`` is significantly co-agglomerated when ``Coagg ≥ α`` (0.95).
Ties count against co-agglomeration.  ``Coagg`` is not symmetric: ``j`` is
fixed and ``k`` is replaced.

Design
------
* **Draws.**  The ``R`` counterfactual samples of size ``N`` are a pure
  function of ``(seed, pool size, N, R)``: the generator of size ``N`` is
  seeded by ``SeedSequence(seed_entropy, spawn_key=(N,))``
  (:func:`counterfactual_draws`).  Every ``j`` sees the same draws for the
  same ``N``, and the numbers do not depend on the order or the machine in
  which the work is done.
* **Tasks.**  The work is cut into tasks ``(j, N)``: the observed distances
  from ``j`` to every ``k`` with ``N_k = N`` plus the ``R`` counterfactual
  distances from ``j`` to the draws of size ``N`` (shared by those ``k``).
  :func:`plan_tasks` lists them and :func:`run_task` (pure) solves one;
  :func:`run_tasks` maps ``run_task`` serially or on a Dask cluster, writing
  each finished task to a checkpoint directory (``.npz``, written to a
  temporary file and moved into place with :func:`os.replace`) so that a run
  that is killed resumes where it stopped.
* **Sequential stopping** (``sequential=True``; Besag & Clifford 1991, as a
  curtailed test).  Draws are taken in order; a pair stops as soon as its
  decision at ``α`` after all ``R`` draws is certain: more than ``R − ⌈αR⌉``
  failures (not significant) or ``⌈αR⌉`` successes (significant).  The
  decisions are therefore *identical* to those with all ``R`` draws; the
  Coagg estimate is the share of successes among the draws used, and its
  Monte Carlo standard error ``sqrt(C(1 − C)/n)`` is reported for every pair.
  A task ends when all its pairs are decided.
* **Distances** (``distance``): ``"exact"`` W₂² (squared Euclidean cost; POT's
  network simplex ``ot.emd2`` when POT is installed, else
  :func:`~regionkit.coagglomeration.transport.exact_w2`), ``"sinkhorn"`` (the
  entropic transport cost ``⟨T_ε, C⟩``) or ``"divergence"`` (debiased
  Sinkhorn divergence), on the firm ``"points"`` or on a ``"grid"`` of
  ``cell_size`` cells (batched separable Sinkhorn).  Or any callable
  ``distance(measure_j, measures) -> (m,) array``: with
  ``representation="points"`` a measure is an ``(n, 2)`` coordinate array and
  ``measures`` an ``(m, N, 2)`` array; with ``"grid"`` a measure is an
  ``(ny, nx)`` histogram summing to 1 and ``measures`` is ``(m, ny, nx)``.
  A callable may carry a ``cache_key`` string attribute naming its settings
  (it enters the checkpoint key next to its qualified name).

Coordinates must be projected (metres or km); distances are in squared units.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import math
import os
import tempfile
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from .._checks import check_option
from ..errors import InputError

Distance = Literal["exact", "sinkhorn", "divergence"]
"""Built-in transport distances of :func:`coagglomeration`."""

Representation = Literal["points", "grid"]
"""Firm locations as points or as histograms on a regular grid."""

Executor = Literal["serial", "dask"]
"""Where :func:`run_tasks` runs the tasks."""

DistanceBatch = Callable[[Any, Any], np.ndarray]
"""``distance(measure_j, measures) -> (m,)`` array (see the module notes)."""

Progress = Callable[[int, int, str], None]
"""``progress(done, total, task_id)``, called after each finished (or resumed) task."""

_MAX_CELLS = 1_000_000  # grid cells (a block of 50 histograms is then 400 MB)
_VERSION = "coagg-1"  # part of every checkpoint key: bump when the numbers of a task change
_DEFAULT_ETA = 0.01  # eps = η · D² when eps is not given (max C/eps = 100: scaling domain)


# ------------------------------------------------------------------ draws
def _entropy(rng: int | np.random.Generator | None) -> int:
    """A non-negative int seeding all draws: the int itself, or drawn from a Generator."""
    if rng is None:
        return int(np.random.SeedSequence().entropy)  # type: ignore[arg-type]
    if isinstance(rng, np.random.Generator):
        return int(rng.integers(0, 2**63 - 1))
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool) and rng >= 0:
        return int(rng)
    raise InputError(f"rng must be a non-negative int or a numpy Generator, got {rng!r}")


@functools.lru_cache(maxsize=8)
def _draws_cached(entropy: int, n_pool: int, n: int, draws: int) -> np.ndarray:
    gen = np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=(n,)))
    dtype = np.int32 if n_pool < 2**31 else np.int64
    out = np.empty((draws, n), dtype=dtype)
    for r in range(draws):
        out[r] = gen.choice(n_pool, size=n, replace=False)
    out.setflags(write=False)
    return out


def counterfactual_draws(seed_entropy: int, n_pool: int, n: int, draws: int) -> np.ndarray:
    """The ``draws`` counterfactual samples of size ``n`` from a pool of ``n_pool`` firms.

    Row ``r`` holds ``n`` distinct firm indices in ``0 .. n_pool − 1`` (without
    replacement within a draw; draws are independent).  A pure function of its
    arguments: the generator is seeded with ``SeedSequence(seed_entropy,
    spawn_key=(n,))``.

    Examples
    --------
    >>> d = counterfactual_draws(42, 10, 3, 4)
    >>> d.shape, bool((np.sort(d, axis=1)[:, 1:] > np.sort(d, axis=1)[:, :-1]).all())
    ((4, 3), True)
    >>> bool((d == counterfactual_draws(42, 10, 3, 4)).all())
    True
    """
    if not 1 <= n <= n_pool:
        raise InputError(f"counterfactual size {n} must be between 1 and the pool size {n_pool}")
    if draws < 1:
        raise InputError(f"draws={draws} must be at least 1")
    return _draws_cached(int(seed_entropy), int(n_pool), int(n), int(draws)).copy()


# ------------------------------------------------------------------ problem and tasks
@dataclass(frozen=True, eq=False)
class CoaggProblem:
    """Everything a task needs: firm measures, industries, draws and settings.

    Build it with :func:`build_problem`; it is immutable and picklable (sent
    once to every Dask worker).

    Attributes
    ----------
    coords : numpy.ndarray, shape (n, 2)
        Firm coordinates (the pool).
    industries : tuple
        Industry labels of the matrix, sorted.
    members : tuple of numpy.ndarray
        Firm indices of each industry.
    draws, seed_entropy, alpha, sequential, block
        Monte Carlo settings (``block``: draws evaluated per solver call).
    distance : str or callable
    representation : {"points", "grid"}
    eps : float or None
        Entropic regularisation (Sinkhorn distances), squared coordinate units.
    grid : GridSupport or None
    cells : numpy.ndarray or None
        Flat grid cell of every firm (grid representation).
    key : str
        Hash of all of the above that change results (checkpoint key).
    """

    coords: np.ndarray = field(repr=False)
    industries: tuple[Any, ...]
    members: tuple[np.ndarray, ...] = field(repr=False)
    draws: int
    seed_entropy: int
    alpha: float
    sequential: bool
    block: int
    distance: str | DistanceBatch
    representation: str
    eps: float | None
    grid: Any = None
    cells: np.ndarray | None = field(default=None, repr=False)
    key: str = ""

    @property
    def sizes(self) -> np.ndarray:
        """Firm count of each industry."""
        return np.array([m.size for m in self.members], dtype=np.int64)

    def measure(self, idx: np.ndarray) -> np.ndarray:
        """The measure of a set of firms: coordinates (points) or a normalised histogram (grid)."""
        if self.representation == "points":
            return self.coords[idx]
        g = self.grid
        h = np.bincount(self.cells[idx], minlength=g.nx * g.ny).astype(float) / idx.size
        return h.reshape(g.ny, g.nx)

    def measures(self, samples: np.ndarray) -> np.ndarray:
        """Measures of the rows of ``samples`` (``(m, N)`` firm indices), stacked."""
        if self.representation == "points":
            return self.coords[samples]
        g = self.grid
        m, n = samples.shape
        flat = (np.arange(m)[:, None] * (g.nx * g.ny) + self.cells[samples]).ravel()
        h = np.bincount(flat, minlength=m * g.nx * g.ny).astype(float) / n
        return h.reshape(m, g.ny, g.nx)


@dataclass(frozen=True)
class Task:
    """One unit of work: industry ``j`` (position) against every ``k`` of size ``n``.

    Attributes
    ----------
    task_id : str
        ``"j{j}-n{n}"`` (positions in :attr:`CoaggProblem.industries`).
    j : int
    n : int
    ks : tuple of int
        Positions of the industries ``k ≠ j`` with ``N_k = n``.
    """

    task_id: str
    j: int
    n: int
    ks: tuple[int, ...]


@dataclass(frozen=True, eq=False)
class TaskResult:
    """Partial result of :func:`run_task`.

    Attributes
    ----------
    task_id : str
    j, n : int
    ks : numpy.ndarray of int
    observed : numpy.ndarray
        ``W(j, k)`` for each ``k``.
    successes : numpy.ndarray of int
        Draws with ``W(j, k) < W(j, k~)`` among the first ``n_draws`` draws.
    n_draws : numpy.ndarray of int
        Draws used for each ``k`` (``R`` unless stopped early).
    counterfactual : numpy.ndarray, shape (R,)
        ``W(j, k~_r)``; NaN for draws never evaluated.
    """

    task_id: str
    j: int
    n: int
    ks: np.ndarray
    observed: np.ndarray
    successes: np.ndarray
    n_draws: np.ndarray
    counterfactual: np.ndarray = field(repr=False)


def _hash_update(h: Any, *parts: Any) -> None:
    for p in parts:
        if isinstance(p, np.ndarray):
            h.update(str(p.dtype).encode() + str(p.shape).encode())
            h.update(np.ascontiguousarray(p).tobytes())
        else:
            h.update(repr(p).encode())
        h.update(b"|")


def _distance_name(distance: str | DistanceBatch) -> str:
    if isinstance(distance, str):
        return distance
    name = f"{getattr(distance, '__module__', '?')}.{getattr(distance, '__qualname__', type(distance).__name__)}"
    return name + "|" + str(getattr(distance, "cache_key", ""))


def build_problem(
    labels: ArrayLike,
    coords: ArrayLike,
    *,
    distance: Distance | DistanceBatch = "exact",
    draws: int = 1000,
    rng: int | np.random.Generator | None = None,
    alpha: float = 0.95,
    sequential: bool = False,
    representation: Representation = "points",
    cell_size: float | None = None,
    eps: float | None = None,
    industries: Sequence[Any] | None = None,
    block: int = 50,
) -> CoaggProblem:
    """Check the inputs and build the :class:`CoaggProblem` of :func:`coagglomeration`.

    Parameters are those of :func:`coagglomeration`.  All firms form the pool;
    ``industries`` (default: all labels) are the rows and columns of the matrix.

    Examples
    --------
    >>> p = build_problem([1, 1, 2, 2, 2], [[0, 0], [1, 0], [5, 5], [6, 5], [5, 6]], draws=10, rng=0)
    >>> p.industries, p.sizes.tolist()
    ((1, 2), [2, 3])
    """
    check_option("representation", representation, Representation)
    if isinstance(distance, str):
        check_option("distance", distance, Distance)
    elif not callable(distance):
        raise InputError(f"distance must be one of 'exact', 'sinkhorn', 'divergence' or a callable, got {distance!r}")
    xy = np.array(coords, dtype=float)
    if xy.ndim != 2 or xy.shape[1] != 2:
        raise InputError(f"coords: expected an (n, 2) array of projected x, y, got shape {xy.shape}")
    lab = np.asarray(labels)
    if lab.ndim != 1 or lab.shape[0] != xy.shape[0]:
        raise InputError(f"labels: expected {xy.shape[0]} industry labels (one per firm), got shape {lab.shape}")
    bad = ~np.isfinite(xy).all(axis=1)
    if bad.any():
        raise InputError(f"coords: missing or non-finite coordinates at firm row(s) "
                         f"{', '.join(map(str, np.flatnonzero(bad)[:10]))}")
    if pd.isna(lab).any():
        raise InputError(f"labels: missing industry label at firm row(s) "
                         f"{', '.join(map(str, np.flatnonzero(pd.isna(lab))[:10]))}")
    if isinstance(draws, bool) or not isinstance(draws, (int, np.integer)) or draws < 1:
        raise InputError(f"draws={draws!r} must be a positive int")
    if not 0 < alpha < 1:
        raise InputError(f"alpha={alpha!r} must be in (0, 1)")
    if isinstance(block, bool) or not isinstance(block, (int, np.integer)) or block < 1:
        raise InputError(f"block={block!r} must be a positive int")
    present = pd.unique(lab)
    if industries is None:
        inds = tuple(sorted(present.tolist()))
    else:
        inds = tuple(industries)
        missing = [i for i in inds if i not in set(present.tolist())]
        if missing:
            raise InputError(f"industries: {missing[:10]} have no firm in labels")
        if len(set(inds)) != len(inds):
            raise InputError("industries: duplicated labels")
    if len(inds) < 2:
        raise InputError(f"co-agglomeration needs at least two industries, got {len(inds)}")
    pos = {v: i for i, v in enumerate(inds)}
    code = np.array([pos.get(v, -1) for v in lab.tolist()], dtype=np.int64)
    members = tuple(np.flatnonzero(code == i) for i in range(len(inds)))

    grid = cells = None
    if representation == "grid":
        from .transport import GridSupport

        if cell_size is None or not cell_size > 0:
            raise InputError(f"representation='grid' needs a positive cell_size (CRS units), got {cell_size!r}")
        lo, hi = xy.min(axis=0), xy.max(axis=0)
        grid = GridSupport.from_bounds(lo[0], lo[1], hi[0], hi[1], cell_size=float(cell_size))
        col = np.clip(np.floor((xy[:, 0] - grid.x0) / grid.cell_size).astype(np.int64), 0, grid.nx - 1)
        row = np.clip(np.floor((xy[:, 1] - grid.y0) / grid.cell_size).astype(np.int64), 0, grid.ny - 1)
        cells = row * grid.nx + col
        if grid.nx * grid.ny > _MAX_CELLS:
            raise InputError(
                f"representation='grid': cell_size={cell_size:g} gives {grid.ny} × {grid.nx} cells over the "
                f"firms' extent {hi[0] - lo[0]:.4g} × {hi[1] - lo[1]:.4g}; use larger cells or remove distant "
                "firms first (regionkit.coagglomeration.firms.find_outliers)")
    if isinstance(distance, str) and distance != "exact" and eps is None:
        if grid is not None:
            d2 = grid.squared_diameter
        else:
            d2 = float(np.sum((xy.max(axis=0) - xy.min(axis=0)) ** 2))
        eps = _DEFAULT_ETA * d2 if d2 > 0 else 1.0
    if eps is not None and not eps > 0:
        raise InputError(f"eps={eps!r} must be positive")
    seed = _entropy(rng)
    h = hashlib.sha256()
    _hash_update(h, _VERSION, xy, code, inds, int(draws), seed, float(alpha), bool(sequential),
                 representation, _distance_name(distance), eps,
                 None if grid is None else (grid.x0, grid.y0, grid.cell_size, grid.nx, grid.ny))
    return CoaggProblem(
        coords=xy, industries=inds, members=members, draws=int(draws), seed_entropy=seed,
        alpha=float(alpha), sequential=bool(sequential), block=int(block), distance=distance,
        representation=representation, eps=None if eps is None else float(eps), grid=grid,
        cells=cells, key=h.hexdigest(),
    )


def plan_tasks(problem: CoaggProblem) -> tuple[Task, ...]:
    """All ``(j, N)`` tasks of a problem, ordered by ``N`` then ``j``.

    Examples
    --------
    >>> p = build_problem([1, 1, 2, 2, 3, 3], np.arange(12.0).reshape(6, 2), draws=5, rng=0)
    >>> [(t.j, t.n, t.ks) for t in plan_tasks(p)]
    [(0, 2, (1, 2)), (1, 2, (0, 2)), (2, 2, (0, 1))]
    """
    sizes = problem.sizes
    tasks = []
    for n in np.unique(sizes):
        ks_all = np.flatnonzero(sizes == n)
        for j in range(len(problem.industries)):
            ks = tuple(int(k) for k in ks_all if k != j)
            if ks:
                tasks.append(Task(f"j{j}-n{int(n)}", j, int(n), ks))
    return tuple(tasks)


# ------------------------------------------------------------------ distance backends
def _emd2(a: np.ndarray, x: np.ndarray, b: np.ndarray, y: np.ndarray) -> float:
    from .transport import exact_w2, squared_distances

    try:
        import ot
    except ImportError:  # pragma: no cover - POT is optional
        return exact_w2(a, x, b, y)
    cost = squared_distances(x, y)
    return float(ot.emd2(a, b, cost, numItermax=10_000_000))


def _batch_distance(problem: CoaggProblem, mu: np.ndarray, nus: np.ndarray) -> np.ndarray:
    d = problem.distance
    if callable(d):
        out = np.asarray(d(mu, nus), dtype=float)
        if out.shape != (nus.shape[0],):
            raise InputError(f"distance callable returned shape {out.shape}, expected ({nus.shape[0]},)")
        return out
    from . import transport as tr

    m = nus.shape[0]
    if problem.representation == "points":
        a = np.full(mu.shape[0], 1.0 / mu.shape[0])
        b = np.full(nus.shape[1], 1.0 / nus.shape[1])
        out = np.empty(m)
        for i in range(m):
            if d == "exact":
                out[i] = _emd2(a, mu, b, nus[i])
            elif d == "sinkhorn":
                out[i] = tr.sinkhorn(a, b, tr.squared_distances(mu, nus[i]), eps=problem.eps).cost
            else:
                out[i] = tr.sinkhorn_divergence(a, mu, b, nus[i], eps=problem.eps).value
        return out
    grid = problem.grid
    if d == "exact":
        centres = grid.centres()
        fa = mu.ravel()
        sa = fa > 0
        out = np.empty(m)
        for i in range(m):
            fb = nus[i].ravel()
            sb = fb > 0
            out[i] = _emd2(fa[sa], centres[sa], fb[sb], centres[sb])
        return out
    if d == "sinkhorn":
        return np.asarray(tr.grid_sinkhorn_batch(mu, nus, grid, eps=problem.eps).costs, dtype=float)
    return np.asarray(tr.grid_sinkhorn_divergence_batch(mu, nus, grid, eps=problem.eps).values, dtype=float)


# ------------------------------------------------------------------ one task
def _need(problem: CoaggProblem) -> int:
    """Successes needed for significance after all draws: ``⌈α R⌉``."""
    return int(math.ceil(problem.alpha * problem.draws - 1e-9))


class CoaggConvergenceWarning(UserWarning):
    """A Sinkhorn solve did not reach the marginal tolerance; the message names the industry pair."""


@contextlib.contextmanager
def _naming_pairs(describe):
    """Re-issue the solver's non-convergence warnings with the industry pair they concern."""
    from .transport import TransportConvergenceWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", TransportConvergenceWarning)
        yield
    for w in caught:
        if issubclass(w.category, TransportConvergenceWarning):
            msg = w.message
            errs = list(getattr(msg, "marginal_errors", []) or [])
            for pos, i in enumerate(getattr(msg, "problems", []) or []):
                err = f" (L1 marginal error {errs[pos]:.2e})" if pos < len(errs) else ""
                warnings.warn(f"Sinkhorn did not converge for {describe(int(i))}{err}",
                              CoaggConvergenceWarning, stacklevel=3)
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def run_task(task: Task, problem: CoaggProblem) -> TaskResult:
    """Solve one ``(j, N)`` task: observed and counterfactual distances, success counts.

    Pure: the result depends on ``task`` and ``problem`` only.  With
    ``problem.sequential`` the draws are evaluated ``problem.block`` at a
    time and the task ends once every pair's decision is certain; the
    stopping draw of each pair does not depend on ``block``.

    Examples
    --------
    >>> xy = [[0, 0], [1, 0], [0, 1], [9, 9], [9, 8], [8, 9]]
    >>> p = build_problem([1, 1, 1, 2, 2, 2], xy, draws=20, rng=3)
    >>> r = run_task(plan_tasks(p)[0], p)
    >>> r.ks.tolist(), r.n_draws.tolist(), r.counterfactual.shape
    ([1], [20], (20,))
    """
    R = problem.draws
    ks = np.asarray(task.ks, dtype=np.int64)
    mu = problem.measure(problem.members[task.j])
    samples = _draws_cached(problem.seed_entropy, problem.coords.shape[0], task.n, R)
    obs_samples = np.stack([problem.members[k] for k in ks])
    names = problem.industries
    with _naming_pairs(lambda i: f"observed pair ({names[task.j]!r}, {names[int(ks[i])]!r})"):
        observed = _batch_distance(problem, mu, problem.measures(obs_samples))
    cf = np.full(R, np.nan)
    need = _need(problem)
    max_fail = R - need
    succ = np.zeros(ks.size, dtype=np.int64)
    fail = np.zeros(ks.size, dtype=np.int64)
    n_used = np.zeros(ks.size, dtype=np.int64)
    open_ = np.ones(ks.size, dtype=bool)
    start = 0
    while start < R and open_.any():
        stop = min(R, start + problem.block)
        with _naming_pairs(lambda i, s0=start: f"pair ({names[task.j]!r}, counterfactual draw {s0 + i} "
                                                 f"of size {task.n})"):
            vals = _batch_distance(problem, mu, problem.measures(np.asarray(samples[start:stop])))
        cf[start:stop] = vals
        win = observed[open_, None] < vals[None, :]  # (open pairs, block)
        cs = succ[open_, None] + np.cumsum(win, axis=1)
        cfail = fail[open_, None] + np.cumsum(~win, axis=1)
        if problem.sequential:
            done = (cs >= need) | (cfail > max_fail)
            hit = done.any(axis=1)
            first = np.where(hit, done.argmax(axis=1), stop - start - 1)
        else:
            hit = np.zeros(cs.shape[0], dtype=bool)
            first = np.full(cs.shape[0], stop - start - 1)
        rows = np.arange(cs.shape[0])
        idx = np.flatnonzero(open_)
        succ[idx] = cs[rows, first]
        fail[idx] = cfail[rows, first]
        n_used[idx] = start + first + 1
        open_[idx[hit]] = False
        start = stop
    return TaskResult(task.task_id, task.j, task.n, ks, observed, succ, n_used, cf)


# ------------------------------------------------------------------ checkpoints and executors
def _task_path(directory: Path, problem: CoaggProblem, task: Task) -> Path:
    h = hashlib.sha256(f"{problem.key}|{task.task_id}|{task.ks}".encode()).hexdigest()[:40]
    return directory / f"task-{h}.npz"


def _save(path: Path, res: TaskResult) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".npz")
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, task_id=np.array(res.task_id), j=res.j, n=res.n, ks=res.ks,
                     observed=res.observed, successes=res.successes, n_draws=res.n_draws,
                     counterfactual=res.counterfactual)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _load(path: Path, task: Task) -> TaskResult | None:
    try:
        with np.load(path, allow_pickle=False) as z:
            res = TaskResult(str(z["task_id"]), int(z["j"]), int(z["n"]), z["ks"].copy(),
                             z["observed"].copy(), z["successes"].copy(), z["n_draws"].copy(),
                             z["counterfactual"].copy())
    except (OSError, KeyError, ValueError, EOFError):  # unreadable: recompute
        return None
    if res.task_id != task.task_id or tuple(res.ks.tolist()) != task.ks:
        return None
    return res


def run_tasks(
    problem: CoaggProblem,
    tasks: Sequence[Task],
    *,
    executor: Executor = "serial",
    scheduler: Any = None,
    n_workers: int = 2,
    checkpoint_dir: str | Path | None = None,
    progress: Progress | None = None,
) -> list[TaskResult]:
    """Run tasks serially or on Dask, resuming from and writing to a checkpoint directory.

    Parameters
    ----------
    problem : CoaggProblem
    tasks : sequence of Task
    executor : {"serial", "dask"}
    scheduler : str or distributed.Client, optional
        Dask scheduler address or a running client; ``None`` starts a
        ``LocalCluster(n_workers=n_workers)`` of processes for this call.
    n_workers : int
        Workers of the local cluster.
    checkpoint_dir : str or Path, optional
        Finished tasks are written there (one ``.npz`` each, keyed by a hash
        of the problem and the task) and read back instead of recomputed.
        Files are written by the calling process (a remote cluster needs no
        shared disk).
    progress : callable, optional
        ``progress(done, total, task_id)`` after each task.

    Returns
    -------
    list of TaskResult
        In the order of ``tasks``.
    """
    check_option("executor", executor, Executor)
    directory = None
    if checkpoint_dir is not None:
        directory = Path(checkpoint_dir)
        directory.mkdir(parents=True, exist_ok=True)
    total = len(tasks)
    results: dict[str, TaskResult] = {}
    done = 0

    def finish(task: Task, res: TaskResult, *, save: bool) -> None:
        nonlocal done
        if save and directory is not None:
            _save(_task_path(directory, problem, task), res)
        results[task.task_id] = res
        done += 1
        if progress is not None:
            progress(done, total, task.task_id)

    pending = []
    for t in tasks:
        res = _load(_task_path(directory, problem, t), t) if directory is not None else None
        if res is not None:
            finish(t, res, save=False)
        else:
            pending.append(t)

    if executor == "serial" or not pending:
        for t in pending:
            finish(t, run_task(t, problem), save=True)
    else:
        from distributed import Client, LocalCluster, as_completed

        own_cluster = own_client = None
        if scheduler is None:
            own_cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                                       dashboard_address=None)
            client = own_client = Client(own_cluster)
        elif isinstance(scheduler, str):
            client = own_client = Client(scheduler)
        else:
            client = scheduler
        try:
            pfut = client.scatter(problem, broadcast=True)
            by_key = {}
            futures = client.map(run_task, pending, problem=pfut,
                                 key=[f"coagg-{problem.key[:16]}-{t.task_id}" for t in pending])
            for t, f in zip(pending, futures, strict=True):
                by_key[f.key] = t
            for fut in as_completed(futures):
                finish(by_key[fut.key], fut.result(), save=True)
        finally:
            if own_client is not None:
                own_client.close()
            if own_cluster is not None:
                own_cluster.close()
    return [results[t.task_id] for t in tasks]


# ------------------------------------------------------------------ result
@dataclass(frozen=True, eq=False)
class CoaggResult:
    """Co-agglomeration of every ordered pair of industries.

    Attributes
    ----------
    coagg : pandas.DataFrame
        ``Coagg(j, k)``, industries × industries (rows ``j``, columns ``k``),
        diagonal NaN.
    distance : pandas.DataFrame
        Observed ``W(j, k)`` (squared coordinate units), diagonal NaN.
    quantiles : pandas.DataFrame
        Quantiles of the counterfactual distances ``W(j, k~)`` over the draws
        used, one row per ordered pair (index ``j, k``), one column per level.
    n_draws : pandas.DataFrame
        Draws used per pair (``R`` unless stopped early), diagonal 0.
    mc_se : pandas.DataFrame
        Monte Carlo standard error ``sqrt(C(1 − C)/n)`` of ``Coagg``.
    sizes : pandas.Series
        Firms per industry.
    alpha : float
    draws : int
    sequential : bool
    distance_name, representation : str
    eps : float or None
    seed_entropy : int
        Pass it as ``rng`` to reproduce the draws.
    """

    coagg: pd.DataFrame
    distance: pd.DataFrame
    quantiles: pd.DataFrame
    n_draws: pd.DataFrame
    mc_se: pd.DataFrame
    sizes: pd.Series
    alpha: float
    draws: int
    sequential: bool
    distance_name: str
    representation: str
    eps: float | None
    seed_entropy: int

    def significant(self, alpha: float | None = None) -> pd.DataFrame:
        """``Coagg ≥ alpha`` (default: the run's alpha), diagonal False.

        With sequential stopping only the run's alpha is decided exactly; another
        alpha raises :class:`InputError`.
        """
        a = self.alpha if alpha is None else float(alpha)
        if self.sequential and not math.isclose(a, self.alpha):
            raise InputError(f"significant(alpha={a}): the run stopped draws sequentially for "
                             f"alpha={self.alpha}; rerun with sequential=False for other levels")
        need = math.ceil(a * self.draws - 1e-9)
        if self.sequential:
            succ = (self.coagg * self.n_draws).round()
            out = succ >= need
        else:
            out = self.coagg * self.draws >= need - 1e-9
        return out.fillna(False).astype(bool)

    def summary(self) -> str:
        """Settings, pair counts and the share of significant pairs."""
        sig = self.significant()
        n = len(self.sizes)
        pairs = n * (n - 1)
        used = self.n_draws.to_numpy()[~np.eye(n, dtype=bool)]
        lines = [
            f"co-agglomeration of {n} industries ({pairs} ordered pairs), distance "
            f"{self.distance_name} on {self.representation}"
            + (f", eps={self.eps:.4g}" if self.eps is not None else "")
            + f", R={self.draws}{' (sequential)' if self.sequential else ''}, alpha={self.alpha}",
            f"significant pairs: {int(sig.to_numpy().sum())} ({sig.to_numpy().sum() / max(pairs, 1):.1%}); "
            f"mean Coagg {np.nanmean(self.coagg.to_numpy()):.3f}",
            f"draws used per pair: {int(used.min())}–{int(used.max())} (mean {used.mean():.0f}); "
            f"max MC s.e. {np.nanmax(self.mc_se.to_numpy()):.3f}",
        ]
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        """Long table, one row per ordered pair: ``j, k, N_j, N_k, W, Coagg, significant,
        n_draws, mc_se`` and the counterfactual quantiles."""
        n = len(self.sizes)
        off = ~np.eye(n, dtype=bool)
        jj, kk = np.nonzero(off)
        idx = self.coagg.index
        out = pd.DataFrame({
            "j": idx[jj], "k": idx[kk],
            "N_j": self.sizes.to_numpy()[jj], "N_k": self.sizes.to_numpy()[kk],
            "W": self.distance.to_numpy()[jj, kk],
            "Coagg": self.coagg.to_numpy()[jj, kk],
            "significant": self.significant().to_numpy()[jj, kk],
            "n_draws": self.n_draws.to_numpy()[jj, kk],
            "mc_se": self.mc_se.to_numpy()[jj, kk],
        })
        q = self.quantiles.reindex(pd.MultiIndex.from_arrays([idx[jj], idx[kk]]))
        for c in q.columns:
            out[c] = q[c].to_numpy()
        return out


def _assemble(problem: CoaggProblem, results: Sequence[TaskResult],
              quantiles: Sequence[float]) -> CoaggResult:
    n = len(problem.industries)
    W = np.full((n, n), np.nan)
    C = np.full((n, n), np.nan)
    ND = np.zeros((n, n), dtype=np.int64)
    Q = np.full((n, n, len(quantiles)), np.nan)
    for r in results:
        for i, k in enumerate(r.ks):
            W[r.j, k] = r.observed[i]
            ND[r.j, k] = r.n_draws[i]
            C[r.j, k] = r.successes[i] / r.n_draws[i]
            Q[r.j, k] = np.quantile(r.counterfactual[: r.n_draws[i]], quantiles)
    with np.errstate(invalid="ignore", divide="ignore"):
        SE = np.sqrt(C * (1 - C) / ND)
    idx = pd.Index(problem.industries, name="j")
    cols = pd.Index(problem.industries, name="k")
    frame = functools.partial(pd.DataFrame, index=idx, columns=cols)
    off = ~np.eye(n, dtype=bool)
    jj, kk = np.nonzero(off)
    qframe = pd.DataFrame(Q[jj, kk], index=pd.MultiIndex.from_arrays([idx[jj], cols[kk]], names=["j", "k"]),
                          columns=[f"q{100 * q:g}" for q in quantiles])
    return CoaggResult(
        coagg=frame(C), distance=frame(W), quantiles=qframe, n_draws=frame(ND), mc_se=frame(SE),
        sizes=pd.Series(problem.sizes, index=pd.Index(problem.industries, name="industry"), name="N"),
        alpha=problem.alpha, draws=problem.draws, sequential=problem.sequential,
        distance_name=_distance_name(problem.distance), representation=problem.representation,
        eps=problem.eps, seed_entropy=problem.seed_entropy,
    )


def coagglomeration(
    labels: ArrayLike,
    coords: ArrayLike,
    *,
    distance: Distance | DistanceBatch = "exact",
    draws: int = 1000,
    rng: int | np.random.Generator | None = None,
    alpha: float = 0.95,
    sequential: bool = False,
    representation: Representation = "points",
    cell_size: float | None = None,
    eps: float | None = None,
    industries: Sequence[Any] | None = None,
    quantiles: Sequence[float] = (0.05, 0.5, 0.95),
    executor: Executor = "serial",
    scheduler: Any = None,
    n_workers: int = 2,
    checkpoint_dir: str | Path | None = None,
    progress: Progress | None = None,
    block: int = 50,
) -> CoaggResult:
    """Co-agglomeration index of every ordered pair of industries (counterfactual Monte Carlo).

    Parameters
    ----------
    labels : array_like, shape (n,)
        Industry of each firm (e.g. 3-digit SIC).
    coords : array_like, shape (n, 2)
        Projected firm coordinates (metres or km); all firms form the pool of
        counterfactual locations.
    distance : {"exact", "sinkhorn", "divergence"} or callable
        Transport distance (see the module notes).
    draws : int
        ``R``, counterfactual industries per size.
    rng : int or numpy.random.Generator, optional
        Seed of the draws (same seed, same numbers).  ``None``: fresh entropy,
        reported as :attr:`CoaggResult.seed_entropy`.
    alpha : float
        Significance threshold on Coagg.
    sequential : bool
        Stop each pair's draws once its decision at ``alpha`` is certain
        (decisions equal those of all ``draws``).
    representation : {"points", "grid"}
    cell_size : float, optional
        Grid cell side (coordinate units), required for ``"grid"``.
    eps : float, optional
        Entropic regularisation in squared coordinate units; default
        ``0.01 · D²`` with ``D`` the diameter of the firms' bounding box
        (or grid).
    industries : sequence, optional
        Industries of the matrix (default: all labels); firms of other
        industries stay in the pool.
    quantiles : sequence of float
        Levels of :attr:`CoaggResult.quantiles`.
    executor, scheduler, n_workers, checkpoint_dir, progress
        See :func:`run_tasks`.
    block : int
        Draws per solver call (memory/speed only; results do not depend on it).

    Returns
    -------
    CoaggResult

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> a = rng.normal(0, 1, (8, 2)); b = rng.normal(0, 1, (8, 2)); c = rng.normal(20, 1, (8, 2))
    >>> res = coagglomeration(np.repeat([1, 2, 3], 8), np.vstack([a, b, c]), draws=100, rng=7)
    >>> bool(res.coagg.loc[1, 2] > res.coagg.loc[1, 3])
    True
    """
    for q in quantiles:
        if not 0 <= q <= 1:
            raise InputError(f"quantiles: {q} is not in [0, 1]")
    problem = build_problem(labels, coords, distance=distance, draws=draws, rng=rng, alpha=alpha,
                            sequential=sequential, representation=representation,
                            cell_size=cell_size, eps=eps, industries=industries, block=block)
    tasks = plan_tasks(problem)
    results = run_tasks(problem, tasks, executor=executor, scheduler=scheduler, n_workers=n_workers,
                        checkpoint_dir=checkpoint_dir, progress=progress)
    return _assemble(problem, results, tuple(quantiles))


# ------------------------------------------------------------------ aggregation
@dataclass(frozen=True)
class AggregatedCoagg:
    """Coagg averaged within and between groups of industries (e.g. 3- to 2-digit).

    Attributes
    ----------
    mean : pandas.DataFrame
        Mean Coagg over ordered pairs ``(j, k)``, ``j ≠ k``, with ``j`` in the
        row group and ``k`` in the column group (diagonal: within groups).
    n_pairs : pandas.DataFrame
        Pairs averaged.
    share_significant : pandas.DataFrame
        Share of those pairs that are significant.
    """

    mean: pd.DataFrame
    n_pairs: pd.DataFrame
    share_significant: pd.DataFrame

    def summary(self) -> str:
        """Mean Coagg within groups vs between groups."""
        m, n = self.mean.to_numpy(), self.n_pairs.to_numpy()
        d = np.eye(len(m), dtype=bool)
        tot = lambda s: (np.nansum(m[s] * n[s]) / n[s].sum()) if n[s].sum() else float("nan")  # noqa: E731
        return (f"{len(m)} groups: mean Coagg within groups {tot(d):.3f} ({int(n[d].sum())} pairs), "
                f"between groups {tot(~d):.3f} ({int(n[~d].sum())} pairs)")

    def to_frame(self) -> pd.DataFrame:
        """Long table ``group_j, group_k, n_pairs, mean_coagg, share_significant``."""
        out = pd.DataFrame({
            "n_pairs": self.n_pairs.stack(),
            "mean_coagg": self.mean.stack(future_stack=True),
            "share_significant": self.share_significant.stack(future_stack=True),
        })
        out.index.names = ["group_j", "group_k"]
        return out.reset_index()


def group_of(result: CoaggResult, mapping: Mapping[Any, Any] | Callable[[Any], Any]) -> pd.Series:
    """Group of every industry of ``result`` (mapping or callable), naming unmapped ones."""
    inds = list(result.coagg.index)
    if callable(mapping) and not isinstance(mapping, Mapping):
        groups = [mapping(i) for i in inds]
    else:
        missing = [i for i in inds if i not in mapping]
        if missing:
            raise InputError(f"mapping: industry(ies) {missing[:10]} have no group"
                             + (f" and {len(missing) - 10} more" if len(missing) > 10 else ""))
        groups = [mapping[i] for i in inds]
    return pd.Series(groups, index=result.coagg.index.copy(), name="group")


def aggregate(result: CoaggResult, mapping: Mapping[Any, Any] | Callable[[Any], Any]) -> AggregatedCoagg:
    """Mean Coagg within and between groups (e.g. 3-digit industries into 2-digit).

    Parameters
    ----------
    result : CoaggResult
    mapping : mapping or callable
        Industry -> group, e.g. ``{292: 29, 366: 36}`` or ``lambda c: c // 10``.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> xy = rng.normal(0, 1, (24, 2))
    >>> res = coagglomeration(np.repeat([101, 102, 201], 8), xy, draws=20, rng=0)
    >>> aggregate(res, lambda c: c // 100).n_pairs.to_numpy().tolist()
    [[2, 2], [2, 0]]
    """
    g = group_of(result, mapping)
    groups = list(pd.unique(g))
    try:
        groups = sorted(groups)
    except TypeError:
        pass
    n = len(groups)
    gi = np.array([groups.index(v) for v in g.tolist()])
    C = result.coagg.to_numpy()
    S = result.significant().to_numpy()
    off = ~np.eye(len(gi), dtype=bool)
    mean = np.full((n, n), np.nan)
    cnt = np.zeros((n, n), dtype=np.int64)
    share = np.full((n, n), np.nan)
    for a in range(n):
        for b in range(n):
            sel = (gi[:, None] == a) & (gi[None, :] == b) & off
            cnt[a, b] = int(sel.sum())
            if cnt[a, b]:
                mean[a, b] = float(C[sel].mean())
                share[a, b] = float(S[sel].mean())
    idx = pd.Index(groups, name="group_j")
    cols = pd.Index(groups, name="group_k")
    return AggregatedCoagg(pd.DataFrame(mean, idx, cols), pd.DataFrame(cnt, idx, cols),
                           pd.DataFrame(share, idx, cols))


__all__ = [
    "AggregatedCoagg",
    "CoaggProblem",
    "CoaggResult",
    "Distance",
    "DistanceBatch",
    "Executor",
    "Representation",
    "Task",
    "TaskResult",
    "aggregate",
    "build_problem",
    "coagglomeration",
    "counterfactual_draws",
    "group_of",
    "plan_tasks",
    "run_task",
    "run_tasks",
]
