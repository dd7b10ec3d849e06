"""Reference rates the engine is compared with (see README.md).

* :func:`rng_loop` - the *RNG-bound* rate: per trial, exactly the random draws the engine
  makes (same :func:`portfolio_sim.rng.draw` calls, same keys and slots) and nothing else.
  The engine can never beat it; the target is at least half of it.
* :func:`numpy_baseline` - a plain vectorised numpy implementation of a *simplified*
  model (no WIP sharing, no risks, no staffing dates, average capacity), over all trials
  of a chunk at once, with numpy Generator draws from
  :func:`portfolio_sim.distributions.sample`. It is what a quick hand-written Monte Carlo
  in numpy would cost.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from pathlib import Path

import numpy as np
from numba import njit, prange

from portfolio_sim.distributions import mean as dist_mean
from portfolio_sim.distributions import sample
from portfolio_sim.jit_cache import sources_digest
from portfolio_sim.rng import NO_REFCOUNT, draw, uniform


def _drop_stale_cache() -> None:
    """Numba's cache of this module inlines ``rng.draw``; like the kernels' cache
    (portfolio_sim.jit_cache) it is dropped when the package's kernel sources change,
    else a cached loop would run an old sampler on a new pool layout."""
    here = Path(__file__).resolve()
    cache = here.parent / "__pycache__"
    digest = hashlib.sha256((sources_digest() + "\n").encode() + here.read_bytes()).hexdigest()
    stamp = cache / "baselines-sources.sha256"
    with contextlib.suppress(OSError):
        if stamp.exists() and stamp.read_text().strip() == digest:
            return
        for f in [*cache.glob("baselines.*.nbi"), *cache.glob("baselines.*.nbc")]:
            f.unlink()
        cache.mkdir(exist_ok=True)
        stamp.write_text(digest + "\n")


_drop_stale_cache()


@njit(cache=True, **NO_REFCOUNT)
def _rng_block(plan, pool, risk_key, risk_prob, risk_dist, tp_dist, tp_key, tp_n, lo, hi):
    """The draws of trials ``lo .. hi - 1`` (see :func:`rng_loop`), summed. Compiled
    without reference counting, like the engine's kernels: otherwise every inlined
    ``draw`` would pay atomic reference-count updates and the baseline would be slow."""
    codes = plan[0]
    offs = plan[1]
    lens = plan[2]
    slots = plan[3]
    keys = plan[4]
    s = 0.0
    for trial in range(lo, hi):
        for k in range(codes.shape[0]):
            s += draw(codes[k], pool, offs[k], lens[k], np.uint64(keys[k]), trial, slots[k])
        for r in range(risk_key.shape[0]):
            if uniform(risk_key[r], trial, 0) < risk_prob[r]:
                s += draw(
                    risk_dist[r, 0],
                    pool,
                    risk_dist[r, 1],
                    risk_dist[r, 2],
                    risk_key[r],
                    trial,
                    1,
                )
        for j in range(tp_key.shape[0]):
            for q in range(tp_n[j]):
                s += draw(tp_dist[j, 0], pool, tp_dist[j, 1], tp_dist[j, 2], tp_key[j], trial, q)
    return s


@njit(cache=True, parallel=True)
def rng_loop(plan, pool, risk_key, risk_prob, risk_dist, tp_dist, tp_key, tp_n, first, n, acc):
    """Make the engine's draws for trials ``first .. first + n - 1``; sums into ``acc[w]``.

    ``plan = (codes, offs, lens, slots, keys)`` lists every feature's size (slot 0) and
    growth (slot 1) draw; each risk fires on a slot-0 uniform and draws its impact from
    slot 1 when it fires; throughput team j draws periods ``0 .. tp_n[j] - 1``.
    """
    n_workers = acc.shape[0]
    for w in prange(n_workers):
        lo = first + (n * w) // n_workers
        hi = first + (n * (w + 1)) // n_workers
        acc[w] += _rng_block(
            plan, pool, risk_key, risk_prob, risk_dist, tp_dist, tp_key, tp_n, lo, hi
        )


def period_draws(compiled, done: np.ndarray) -> np.ndarray:
    """Expected period draws per trial of each throughput team, from per-trial done
    times [trials, F] of a ``keep_trials`` forecast: mean team done time / period."""
    h = float(compiled.horizon_days)
    out = []
    for j in np.flatnonzero(compiled.team_kind == 1):
        idx = compiled.team_feat_idx[compiled.team_feat_ptr[j] : compiled.team_feat_ptr[j + 1]]
        if len(idx) == 0:
            out.append(0)
            continue
        t = np.minimum(done[:, idx].max(axis=1), h)
        out.append(int(round(float(np.mean(np.ceil(t / compiled.tp_period[j] - 1e-9))))))
    return np.array(out, dtype=np.int64)


def rng_plan(compiled, tp_n: np.ndarray) -> tuple[tuple, int]:
    """Arguments of :func:`rng_loop` (less first/n/acc) and the mean draws per trial."""
    rows = []
    for f in range(compiled.n_features):
        c, o, ln = compiled.feat_size[f]
        rows.append((c, o, ln, 0, compiled.feat_key[f]))
        if compiled.feat_growth[f, 0] >= 0:
            c, o, ln = compiled.feat_growth[f]
            rows.append((c, o, ln, 1, compiled.feat_key[f]))
    cols = list(zip(*rows, strict=True)) if rows else [()] * 5
    plan = tuple(np.array(col, dtype=np.int64) for col in cols[:4]) + (
        np.array(cols[4], dtype=np.uint64),
    )
    tp = np.flatnonzero(compiled.team_kind == 1)
    args = (
        plan,
        compiled.pool,
        compiled.risk_key,
        compiled.risk_prob,
        compiled.risk_dist,
        np.ascontiguousarray(compiled.tp_dist[tp]),
        np.ascontiguousarray(compiled.team_key[tp]),
        tp_n,
    )
    per_trial = len(rows) + compiled.n_risks + float(compiled.risk_prob.sum()) + int(tp_n.sum())
    return args, per_trial


def time_rng_loop(args: tuple, trials: int, threads: int) -> float:
    """Seconds for ``trials`` trials of the RNG-bound loop (compiled/loaded first)."""
    acc = np.zeros(max(threads, 1))
    rng_loop(*args, 0, min(trials, 64), acc)  # compile or load from cache
    t0 = time.perf_counter()
    rng_loop(*args, 0, trials, acc)
    return time.perf_counter() - t0


def _mean_capacity(compiled, j: int) -> float:
    """Average person-days per working day of effort team j over the horizon."""
    h = float(compiled.horizon_days)
    lo, hi = compiled.cap_ptr[j], compiled.cap_ptr[j + 1]
    k = hi - 1
    while k > lo and compiled.cap_t[k] > h:
        k -= 1
    d = h - compiled.cap_t[k]
    c = compiled.cap_cum[k] + compiled.cap_rate[k] * d + 0.5 * compiled.cap_slope[k] * d * d
    return max(c / max(h, 1.0), 1e-9)


def numpy_baseline(scn, compiled, trials: int, seed: int = 1, chunk: int = 1 << 16) -> np.ndarray:
    """A simplified model in plain vectorised numpy; returns done-day histograms [F, H+1].

    Each team works its features one at a time in a topological order (file order where
    dependencies allow) at its average capacity (effort teams: person-days per day;
    throughput teams: mean items per period / period length); a feature starts when its
    team is free, its dependencies are done and ``not_before`` has passed. Sizes and
    growth come from numpy's Generator; no risks, no WIP sharing.
    """
    rng = np.random.default_rng(seed)
    h = compiled.horizon_days
    n_f, n_t = compiled.n_features, compiled.n_teams
    rate = np.empty(n_t)
    for j, team in enumerate(scn.teams):
        if compiled.team_kind[j] == 1:
            per = dist_mean(team.throughput.kind, team.throughput.params)
            rate[j] = max(per, 1e-9) / float(compiled.tp_period[j])
        else:
            rate[j] = _mean_capacity(compiled, j)
    deps = [
        compiled.dep_idx[compiled.dep_ptr[f] : compiled.dep_ptr[f + 1]].tolist() for f in range(n_f)
    ]
    hist = np.zeros((n_f, h + 1), dtype=np.int64)
    for first in range(0, trials, chunk):
        m = min(chunk, trials - first)
        finish = np.empty((n_f, m))
        free = np.zeros((n_t, m))
        for f in compiled.topo:
            feat = scn.features[f]
            j = compiled.feat_team[f]
            size = sample(feat.size.kind, feat.size.params, m, rng)
            if feat.growth is not None:
                size *= sample(feat.growth.kind, feat.growth.params, m, rng)
            if compiled.feat_items[f]:
                size = np.ceil(size - 1e-9)
            t0 = np.maximum(free[j], compiled.feat_not_before[f])
            for d in deps[f]:
                np.maximum(t0, finish[d], out=t0)
            finish[f] = t0 + size / rate[j]
            free[j] = finish[f]
        days = np.maximum(np.ceil(finish - 1e-9) - 1.0, 0.0)
        days = np.where(finish <= h, days, h).astype(np.int64)
        for f in range(n_f):
            hist[f] += np.bincount(days[f], minlength=h + 1)
    return hist


def time_numpy_baseline(scn, compiled, trials: int) -> float:
    """Seconds for ``trials`` trials of :func:`numpy_baseline`."""
    numpy_baseline(scn, compiled, min(trials, 64))  # first-call overheads
    t0 = time.perf_counter()
    numpy_baseline(scn, compiled, trials)
    return time.perf_counter() - t0
