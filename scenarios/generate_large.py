"""Generate scenarios/large-portfolio.yaml: a synthetic 20-team, 200-feature portfolio.

It exists for benchmarks and scale tests, so it is deterministic: the same seed gives the
same file, byte for byte. Regenerate with

    python scenarios/generate_large.py            # writes scenarios/large-portfolio.yaml
    python scenarios/generate_large.py --seed 5 --out /tmp/other.yaml
    python scenarios/generate_large.py --cycles   # writes benchmarks/scenarios/large-cycles.yaml

Only numpy is needed (numpy.random.default_rng). The file is written by hand-rolled
formatting (one flow mapping per team, feature and risk) so it stays readable and diffable.

Shape of what comes out:
- 20 teams: 14 effort teams (person-days) and 6 throughput teams (items per week or day,
  from bootstrapped history or a distribution), some with staffing changes and wip_limit 2.
- 200 features spread over the teams. Each team's backlog is sized to roughly 16 months of
  its capacity, so the portfolio mostly finishes within the horizon (2030-12-31).
- Dependencies point only to earlier features in the file (so features never form a
  cycle). Teams are layered as in most real portfolios: platform teams, then domain
  teams, then product teams; a feature depends across teams only on a feature of a lower
  layer, so the *team graph* has no cycle either (each team is simulated on its own,
  docs/model.md §10.11). With ``--cycles`` (the file's shape before the layering) any
  cross-team dependency on an earlier feature is allowed, which makes a 10-team and a
  2-team cycle: benchmarks/scenarios/large-cycles.yaml keeps that portfolio for the benchmarks.
- Every distribution kind is used; risks of all three kinds; value, deadlines, penalties,
  one-off costs, capex flags and a budget; three variants (set, add, remove).
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import numpy as np

START = dt.date(2027, 1, 4)
HORIZON = dt.date(2030, 12, 31)
#: Working days of backlog per team, at mean sizes (about 16 months).
TARGET_WORKDAYS = 340

EFFORT_TEAMS = [
    "checkout",
    "search",
    "catalogue",
    "identity",
    "payments",
    "data-platform",
    "ml",
    "crm",
    "erp-integration",
    "warehouse",
    "logistics",
    "sre",
    "security",
    "pricing",
]
THROUGHPUT_TEAMS = ["ios", "android", "customer-service", "martech", "content", "b2b-portal"]
#: Layer of each team: 0 platform, 1 domain, 2 product. A cross-team dependency goes from a
#: higher layer to a lower one only (unless ``--cycles``).
LAYER = {
    "data-platform": 0,
    "identity": 0,
    "sre": 0,
    "security": 0,
    "payments": 0,
    "catalogue": 1,
    "search": 1,
    "pricing": 1,
    "crm": 1,
    "erp-integration": 1,
    "warehouse": 1,
    "logistics": 1,
    "ml": 1,
    "checkout": 2,
    "ios": 2,
    "android": 2,
    "customer-service": 2,
    "martech": 2,
    "content": 2,
    "b2b-portal": 2,
}

THEMES = [
    "api-v2",
    "redesign",
    "migration",
    "reporting",
    "integration",
    "automation",
    "onboarding",
    "compliance",
    "performance",
    "analytics",
    "notifications",
    "self-service",
    "audit-log",
    "localisation",
    "experiments",
    "admin-tools",
    "data-export",
    "sso",
    "accessibility",
    "mobile-parity",
    "caching",
    "workflow-engine",
    "pricing-rules",
    "partner-feed",
    "monitoring",
    "cost-reduction",
    "search-filters",
    "bulk-import",
    "gdpr-tooling",
    "realtime-updates",
]

HOLIDAYS: list[object] = [
    dt.date(2027, 3, 26),
    dt.date(2027, 3, 29),
    dt.date(2027, 5, 6),
    dt.date(2027, 5, 17),
    (dt.date(2027, 12, 24), dt.date(2027, 12, 31)),
    dt.date(2028, 4, 14),
    dt.date(2028, 4, 17),
    dt.date(2028, 5, 25),
    dt.date(2028, 6, 5),
    (dt.date(2028, 12, 25), dt.date(2028, 12, 29)),
    dt.date(2029, 3, 30),
    dt.date(2029, 4, 2),
    dt.date(2029, 5, 10),
    dt.date(2029, 5, 21),
    (dt.date(2029, 12, 24), dt.date(2029, 12, 31)),
    dt.date(2030, 4, 19),
    dt.date(2030, 4, 22),
    dt.date(2030, 5, 30),
    dt.date(2030, 6, 10),
    (dt.date(2030, 12, 24), dt.date(2030, 12, 31)),
]


# --------------------------------------------------------------------------- formatting
def fmt(value: object) -> str:
    """Format a value as a YAML flow scalar/collection (ids here are plain kebab-case)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {fmt(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(fmt(v) for v in value) + "]"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float | np.floating):
        v = float(value)
        return str(int(v)) if v == int(v) else f"{v:g}"
    if isinstance(value, int | np.integer):
        return str(int(value))
    return str(value)


def workday_date(offset: float) -> dt.date:
    """The date `offset` working days (Mon-Fri, holidays ignored) after START."""
    return np.busday_offset(np.datetime64(START), int(round(offset)), roll="forward").astype(
        dt.date
    )


# --------------------------------------------------------------------------- generation
def size_distribution(rng: np.random.Generator, m: float, integer_ok: bool) -> dict:
    """A distribution whose mean is roughly m, of a randomly chosen kind."""
    kinds = [
        "pert",
        "pert",
        "pert",
        "triangular",
        "triangular",
        "uniform",
        "lognormal",
        "fixed",
        "samples",
    ]
    if integer_ok:
        kinds.append("integers")
    kind = kinds[int(rng.integers(len(kinds)))]
    m = max(m, 2.0)
    if kind == "pert":
        lo, mode, hi = 0.65 * m, 0.9 * m, 1.8 * m
        return {"pert": [round(lo), round(mode), round(hi)]}
    if kind == "triangular":
        lo, mode, hi = 0.6 * m, 0.85 * m, 1.55 * m
        return {"triangular": [round(lo), round(mode), round(hi)]}
    if kind == "uniform":
        return {"uniform": [round(0.7 * m), round(1.3 * m)]}
    if kind == "lognormal":
        return {"lognormal": {"p10": round(0.55 * m), "p90": round(1.6 * m)}}
    if kind == "fixed":
        return {"fixed": round(m)}
    if kind == "integers":
        return {"integers": [round(0.7 * m), round(1.3 * m)]}
    samples = rng.lognormal(np.log(m) - 0.08, 0.4, size=int(rng.integers(5, 9)))
    return {"samples": [round(float(s)) for s in samples]}


def generate(seed: int, cycles: bool = False) -> str:
    """The scenario file's text; ``cycles`` allows cross-team dependencies in any
    direction (the team graph then has cycles), otherwise only onto lower layers."""
    rng = np.random.default_rng(seed)

    # ---- teams
    teams: list[dict] = []
    capacity: dict[str, float] = {}  # mean effective capacity per working day
    kind_of: dict[str, str] = {}
    names = EFFORT_TEAMS + THROUGHPUT_TEAMS
    order = rng.permutation(len(names))
    for idx in order:
        name = names[int(idx)]
        team: dict = {"id": name}
        if name in EFFORT_TEAMS:
            members = int(rng.integers(3, 10))
            focus = float(rng.choice([0.6, 0.7, 0.8, 0.9, 1.0]))
            team["members"] = members
            if focus < 1.0:
                team["focus"] = focus
            team["cost_per_member_day"] = int(rng.integers(50, 81)) * 10
            if rng.random() < 0.4:
                team["wip_limit"] = 2
            if rng.random() < 0.3:
                on = workday_date(float(rng.integers(40, 260)))
                new = max(1, members + int(rng.choice([-2, -1, 1, 2, 3])))
                change = {"on": on, "members": new}
                if new > members:
                    change["ramp_days"] = int(rng.integers(15, 45))
                team["changes"] = [change]
            capacity[name] = focus * members
            kind_of[name] = "effort"
        else:
            if name == "customer-service":
                hist = rng.poisson(1.2, size=30).tolist()
                hist[0] = max(hist[0], 1)
                team["throughput"] = {"samples": hist, "per": "day"}
                capacity[name] = float(np.mean(hist)) * 5
            elif name == "content":
                team["throughput"] = {"triangular": [2, 5, 9], "per": "week"}
                capacity[name] = 16 / 3
            else:
                lam = float(rng.uniform(3.0, 8.0))
                hist = rng.poisson(lam, size=int(rng.integers(12, 21))).tolist()
                hist[0] = max(hist[0], 1)
                team["throughput"] = {"samples": hist, "per": "week"}
                capacity[name] = float(np.mean(hist))  # items per week
            team["members"] = int(rng.integers(3, 8))
            team["cost_per_member_day"] = int(rng.integers(50, 76)) * 10
            kind_of[name] = "throughput"
        if name == "sre":
            team["release"] = "horizon"
        teams.append(team)

    # ---- features: assign teams, then size each team's backlog to its capacity
    n_features = 200
    team_ids = [t["id"] for t in teams]
    assign = [team_ids[i % len(team_ids)] for i in range(n_features)]
    assign = [assign[int(i)] for i in rng.permutation(n_features)]
    weight = rng.lognormal(0.0, 0.5, size=n_features)
    team_weight = {
        t: sum(w for w, a in zip(weight, assign, strict=True) if a == t) for t in team_ids
    }

    used: set[str] = set()
    features: list[dict] = []
    cumulative: dict[str, float] = {t: 0.0 for t in team_ids}
    rank: dict[str, int] = {t: 0 for t in team_ids}
    for i in range(n_features):
        team = assign[i]
        theme = THEMES[int(rng.integers(len(THEMES)))]
        fid = f"{team}-{theme}"
        k = 2
        while fid in used:
            fid = f"{team}-{theme}-{k}"
            k += 1
        used.add(fid)
        f: dict = {"id": fid, "team": team}
        rank[team] += 1
        if rng.random() < 0.9:
            f["priority"] = rank[team]

        # backlog share of this feature, in working days of its team
        share_days = TARGET_WORKDAYS * weight[i] / team_weight[team]
        if kind_of[team] == "effort":
            mean_size = share_days * capacity[team]
            f["effort"] = size_distribution(rng, mean_size, integer_ok=False)
        else:
            mean_size = share_days / 5 * capacity[team]  # items: weeks x items/week
            f["items"] = size_distribution(rng, mean_size, integer_ok=True)
        cumulative[team] += share_days

        # dependencies on earlier features only (acyclic by construction)
        if i > 0 and rng.random() < 0.3:
            window = list(range(max(0, i - 40), i))
            same = [j for j in window if assign[j] == team]
            other = [
                j
                for j in window
                if assign[j] != team and (cycles or LAYER[assign[j]] < LAYER[team])
            ]
            deps = []
            for _ in range(int(rng.integers(1, 3))):
                pool = other if (rng.random() < 0.35 and other) or not same else same
                if pool:
                    deps.append(features[pool[int(rng.integers(len(pool)))]]["id"])
            if deps:
                f["depends_on"] = sorted(set(deps))

        if rng.random() < 0.05:
            f["not_before"] = workday_date(float(rng.integers(20, 200)))
        if rng.random() < 0.15:
            slack = float(rng.uniform(1.1, 1.6))
            f["deadline"] = workday_date(cumulative[team] * slack + 20)
            if rng.random() < 0.5:
                f["deadline_penalty"] = int(rng.integers(2, 31)) * 5000
        if rng.random() < 0.1:
            f["growth"] = {"uniform": [1.0, round(float(rng.uniform(1.1, 1.5)), 2)]}
        if rng.random() < 0.05:
            lo = int(rng.integers(1, 6)) * 5000
            f["cost"] = {"uniform": [lo, lo * 2]}
        if rng.random() < 0.4:
            f["value"] = {
                "per_month": int(rng.lognormal(np.log(20000), 0.7) // 1000 * 1000) + 1000,
                "ramp_months": int(rng.integers(0, 7)),
                "success_probability": round(float(rng.uniform(0.4, 1.0)), 2),
            }
        if rng.random() < 0.3:
            f["capitalizable"] = True
        features.append(f)

    # ---- risks
    effort_ids = [f["id"] for f in features if "effort" in f]
    item_ids = [f["id"] for f in features if "items" in f]
    all_ids = [f["id"] for f in features]
    risks: list[dict] = []
    impacts = ["delay", "extra_effort", "extra_items"]
    for r in range(24):
        impact = impacts[r % 3]
        pool = {"delay": all_ids, "extra_effort": effort_ids, "extra_items": item_ids}[impact]
        n = int(rng.integers(1, 5))
        affects = [pool[int(j)] for j in rng.choice(len(pool), size=n, replace=False)]
        risk: dict = {
            "id": f"risk-{r + 1:02d}",
            "probability": round(float(rng.uniform(0.05, 0.5)), 2),
            "affects": affects,
        }
        if impact == "delay":
            risk["delay"] = {"triangular": [5, 10, int(rng.integers(15, 41))]}
        elif impact == "extra_effort":
            risk["extra_effort"] = {"pert": [5, 15, int(rng.integers(30, 61))]}
        else:
            risk["extra_items"] = {"integers": [2, int(rng.integers(4, 13))]}
        risks.append(risk)

    # ---- budget: team cost over its backlog (plus 10 %), sre paid to the horizon
    horizon_workdays = float(np.busday_count(np.datetime64(START), np.datetime64(HORIZON)))
    total = 0.0
    for t in teams:
        days = horizon_workdays if t.get("release") == "horizon" else TARGET_WORKDAYS * 1.1
        total += t["members"] * t["cost_per_member_day"] * days
    total += sum(10000 * 1.5 for f in features if "cost" in f)
    budget_total = int(round(total / 100000.0)) * 100000
    quarterly = int(round(budget_total / 7.0 / 10000.0)) * 10000  # ~seven quarters of work
    quarters = {f"{y}-Q{q}": quarterly for y in (2027, 2028) for q in (1, 2, 3, 4)}

    # ---- variants
    biggest = sorted(
        (t for t in teams if kind_of[t["id"]] == "effort" and "changes" not in t),
        key=lambda t: -t["members"],
    )[:3]
    depended = {d for f in features for d in f.get("depends_on", [])}
    risked = {a for r in risks for a in r["affects"]}
    tail = [
        f["id"] for f in reversed(features) if f["id"] not in depended and f["id"] not in risked
    ][:10]
    moved = [f["id"] for f in features if f["team"] == "checkout" and f["id"] not in risked][-2:]

    # ---- write
    out: list[str] = []
    w = out.append
    w("# GENERATED FILE - do not edit by hand.")
    w(f"# Written by scenarios/generate_large.py with --seed {seed}; regenerate with")
    w("#     python scenarios/generate_large.py")
    w("# A synthetic portfolio of 20 teams and 200 features for benchmarks and scale tests.")
    w("# Units: effort in person-days, items in backlog items, money in EUR, delays in")
    w("# working days. Backlogs are sized to ~16 months of each team's capacity.")
    if cycles:
        w("# Cross-team dependencies in any direction: the team graph has cycles.")
    else:
        w("# Teams are layered (platform, domain, product); cross-team dependencies point")
        w("# to lower layers only, so the team graph has no cycle.")
    w("")
    w("name: Large synthetic portfolio (benchmark)")
    w(f"start: {START.isoformat()}")
    w(f"horizon: {HORIZON.isoformat()}")
    w("currency: EUR")
    w("discount_rate: 0.07")
    w("calendar:")
    w("  workdays: [mon, tue, wed, thu, fri]")
    w("  holidays:")
    for h in HOLIDAYS:
        if isinstance(h, tuple):
            w(f"    - {{from: {h[0].isoformat()}, to: {h[1].isoformat()}}}")
        else:
            w(f"    - {h.isoformat()}")
    w("budget:")
    w(f"  total: {budget_total}")
    w(f"  quarters: {fmt(quarters)}")
    w("")
    w(
        f"teams:  # {sum(k == 'effort' for k in kind_of.values())} effort teams, "
        f"{sum(k == 'throughput' for k in kind_of.values())} throughput teams"
    )
    for t in teams:
        w(f"  - {fmt(t)}")
    w("")
    w(f"features:  # {len(features)}; dependencies only on earlier features")
    for f in features:
        w(f"  - {fmt(f)}")
    w("")
    w("risks:")
    for r in risks:
        w(f"  - {fmt(r)}")
    w("")
    w("variants:")
    w("  # Two more people on each of the three biggest effort teams without staffing changes.")
    w("  hire-six:")
    w("    - set: " + fmt({f"teams.{t['id']}.members": t["members"] + 2 for t in biggest}))
    w("  # Drop the last ten features that nothing depends on and no risk touches.")
    w("  descope-tail:")
    w(f"    - remove: {{features: {fmt(tail)}}}")
    w("  # A new checkout squad takes over the last two checkout features.")
    w("  add-checkout-squad:")
    w("    - add: {teams: [{id: checkout-2, members: 4, focus: 0.9, cost_per_member_day: 600}]}")
    w("    - set: " + fmt({f"features.{m}.team": "checkout-2" for m in moved}))
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=20270104)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--cycles",
        action="store_true",
        help="cross-team dependencies in any direction (default out: benchmarks/scenarios/large-cycles.yaml)",
    )
    args = parser.parse_args()
    root = Path(__file__).resolve().parent
    out = args.out
    if out is None:
        out = (
            root.parent / "benchmarks" / "scenarios" / "large-cycles.yaml"
            if args.cycles
            else root / "large-portfolio.yaml"
        )
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(generate(args.seed, args.cycles), encoding="utf-8")
    tmp.replace(out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
