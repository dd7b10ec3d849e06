"""Integer codes and the clock tolerance shared by the compiler and both engines.

The compiler (scenario/compile.py) writes these codes into the arrays, and the fast
kernels and the SimPy model read them back; this module is the one place they are
spelled. It imports nothing, so the kernels may import it (docs/model.md §10; the layering
test allows it) and the scenario package stays free of Numba.

Plain ``int`` constants are what the kernels use: Numba freezes a module-level global
into the compiled code. Numba's on-disk cache keys only on the timestamp of the file that
defines a kernel, so ``portfolio_sim.jit_cache`` hashes this file with the kernel sources
and drops stale cached kernels when it changes. The :class:`enum.IntEnum` classes are the
same values for Python code (readable names in tests, traces and errors); a test pins each
member to its constant. The values are part of the compiled arrays' meaning: never
renumber them without recompiling everything.
"""

from __future__ import annotations

from enum import IntEnum

#: Clock times (working days) within EPS of each other count as equal: ready at
#: ``<= now + EPS``, a day boundary ``d + EPS`` is still day ``d - 1``'s end, an item count
#: within EPS above an integer rounds up to that integer.
EPS = 1e-9

#: Relative tolerance of "over budget": a cost counts as over a budget B only when it
#: exceeds ``B + BUDGET_RTOL * max(1, |B|)`` (float round-off is not overspending).
BUDGET_RTOL = 1e-9

# Fixed-point scales of the integer accumulators (exact, associative sums: identical totals
# whatever the thread count or batching, docs/model.md §8). Both engines and results use them.
#: Sums of clock times (2**-20 working days resolution).
TIME_SCALE = float(1 << 20)
#: Sums of work and capacity (2**-16 person-days resolution).
WORK_SCALE = float(1 << 16)
#: Sums of money (1/256 of a currency unit).
MONEY_SCALE = float(1 << 8)

#: Columns of a trial's money row (``EngineOutput.money``), in order; the kernels write
#: them by the index constants below.
MONEY_COLUMNS = ("cost", "cost_pv", "value", "value_pv", "penalty_pv", "npv", "capex", "spent_day")
MONEY_COST = 0
MONEY_COST_PV = 1
MONEY_VALUE = 2
MONEY_VALUE_PV = 3
MONEY_PENALTY_PV = 4
MONEY_NPV = 5
MONEY_CAPEX = 6
MONEY_SPENT_DAY = 7
N_MONEY = 8

# Team kinds (CompiledScenario.team_kind).
EFFORT = 0
THROUGHPUT = 1

# Risk impact kinds (CompiledScenario.risk_kind).
RISK_EXTRA_EFFORT = 0
RISK_EXTRA_ITEMS = 1
RISK_DELAY = 2
#: Extra size as a fraction of the feature's drawn size (docs/model.md §5.3).
RISK_EXTRA_FRACTION = 3
#: A portfolio-level one-off cost (docs/model.md §5.4): affects no feature.
RISK_COST = 4

# A feature's state within a trial (both engines).
WAITING = 0
ACTIVE = 1
DONE = 2

# Slots of a feature's stream (see rng.py).
SLOT_SIZE = 0
SLOT_GROWTH = 1
SLOT_COST = 2
SLOT_SUCCESS = 3
#: Slot of a feature's items of its team's type t is SLOT_TYPED + t (docs/model.md §2.10).
SLOT_TYPED = 16
# Slots of a risk's stream.
SLOT_FIRES = 0
SLOT_IMPACT = 1

#: Distribution code of "no distribution" in a ``(code, offset, length)`` reference.
NO_DIST = -1


class TeamKind(IntEnum):
    """How a team works: effort (person-days shared by the features in progress) or
    throughput (items per period, docs/model.md §2)."""

    EFFORT = EFFORT
    THROUGHPUT = THROUGHPUT


class RiskKind(IntEnum):
    """What a risk that fires does (docs/model.md §5)."""

    EXTRA_EFFORT = RISK_EXTRA_EFFORT
    EXTRA_ITEMS = RISK_EXTRA_ITEMS
    DELAY = RISK_DELAY
    EXTRA_FRACTION = RISK_EXTRA_FRACTION
    COST = RISK_COST


class FeatureState(IntEnum):
    """A feature's state within one trial."""

    WAITING = WAITING
    ACTIVE = ACTIVE
    DONE = DONE


class FeatureSlot(IntEnum):
    """Slots of a feature's random stream."""

    SIZE = SLOT_SIZE
    GROWTH = SLOT_GROWTH
    COST = SLOT_COST
    SUCCESS = SLOT_SUCCESS
    TYPED = SLOT_TYPED


class RiskSlot(IntEnum):
    """Slots of a risk's random stream."""

    FIRES = SLOT_FIRES
    IMPACT = SLOT_IMPACT


#: Team load (docs/model.md §10.13): the states a team's capacity is in, in the order of
#: the last axis of the per-team-month arrays, and the resolution of the share histograms
#: the bands are read from (a share is counted in bin ``round(share * LOAD_RES)``).
LOAD_STATES = ("busy", "waiting", "empty")
LOAD_BUSY = 0
LOAD_WAITING = 1
LOAD_EMPTY = 2
LOAD_RES = 1000
