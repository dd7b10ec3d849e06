"""The schedule arrays a kernel reads, as one typed tuple (Numba passes it by reference).

Built from :class:`portfolio_sim.scenario.compile.CompiledScenario` by
:func:`portfolio_sim.engines.fast_inputs.kernel_model`; the kernels themselves import only
numpy, numba, rng and codes. (The SimPy engine's model is ``portfolio_sim.des.model``.)
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class KernelModel(NamedTuple):
    """The fast engine's read-only schedule inputs (see CompiledScenario for each field)."""

    horizon: float
    team_kind: np.ndarray
    team_wip: np.ndarray
    team_release_horizon: np.ndarray
    cap_ptr: np.ndarray
    cap_t: np.ndarray
    cap_cum: np.ndarray
    cap_rate: np.ndarray
    cap_slope: np.ndarray
    tp_dist: np.ndarray
    tp_period: np.ndarray
    team_key: np.ndarray
    team_feat_ptr: np.ndarray
    team_feat_idx: np.ndarray
    feat_team: np.ndarray
    feat_items: np.ndarray
    feat_size: np.ndarray
    feat_growth: np.ndarray
    feat_key: np.ndarray
    feat_not_before: np.ndarray
    dep_ptr: np.ndarray
    dep_idx: np.ndarray
    succ_ptr: np.ndarray
    succ_idx: np.ndarray
    risk_prob: np.ndarray
    risk_kind: np.ndarray
    risk_dist: np.ndarray
    risk_key: np.ndarray
    risk_ptr: np.ndarray
    risk_idx: np.ndarray
    pool: np.ndarray
    # The team graph's components (kernels/components.py TeamComponents, same names).
    comp_ptr: np.ndarray
    comp_team: np.ndarray
    comp_kind: np.ndarray
    team_comp: np.ndarray
    ext_ptr: np.ndarray
    ext_idx: np.ndarray
    succ_in_ptr: np.ndarray
    succ_in_idx: np.ndarray
    deps_init: np.ndarray
    # A re-forecast's done features (docs/model.md §11.2): done time >= 0, or -1; may be empty.
    feat_pin: np.ndarray
    # Correlated estimates (CompiledScenario.feat_group, group_key, group_load; §4.10).
    feat_group: np.ndarray
    group_key: np.ndarray
    group_load: np.ndarray
    # Throughput by item type (docs/model.md §2.10, scenario/type_compile.py TypeArrays).
    tp_types: np.ndarray
    ft_ptr: np.ndarray
    ft_feat: np.ndarray
    ft_type: np.ndarray
    ft_dist: np.ndarray
    # Portfolio freezes (CompiledScenario.freeze_risk, freeze_on, feat_freeze; §5.5).
    freeze_risk: np.ndarray
    freeze_on: np.ndarray
    feat_freeze: np.ndarray
