"""Subcommands about scenario files: ``validate`` and ``schema``."""

from __future__ import annotations

import argparse
import json

from portfolio_sim.cli import EXIT_OK, Command

# --- validate ----------------------------------------------------------------------------


def _configure_validate(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="scenario file (.yaml, .yml or .toml)")
    parser.add_argument(
        "--variant", metavar="NAME", help="validate this variant applied to the base"
    )


def _run_validate(args: argparse.Namespace) -> int:
    from portfolio_sim.scenario.load import load

    scenario = load(args.file, variant=args.variant)
    kinds = [t.kind for t in scenario.teams]
    variants = list(scenario.variants)
    lines = [
        f"{args.file}: valid",
        f"  scenario: {scenario.name}",
    ]
    if scenario.variant is not None:
        lines.append(f"  variant:  {scenario.variant}")
    lines += [
        f"  teams:    {len(kinds)} ({kinds.count('effort')} effort, {kinds.count('throughput')} throughput)",
        f"  features: {len(scenario.features)}",
        f"  risks:    {len(scenario.risks)}",
        f"  variants: {len(variants)}" + (f" ({', '.join(variants)})" if variants else ""),
        f"  period:   {scenario.start} .. {scenario.horizon_date}",
    ]
    print("\n".join(lines))
    return EXIT_OK


# --- schema ------------------------------------------------------------------------------


def _configure_schema(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--indent", type=int, default=2, help="JSON indentation (default 2)")


def _run_schema(args: argparse.Namespace) -> int:
    from portfolio_sim.scenario.schema import Scenario

    schema = Scenario.model_json_schema(by_alias=True)
    print(json.dumps(schema, indent=args.indent, ensure_ascii=False))
    return EXIT_OK


COMMANDS: list[Command] = [
    Command(
        "validate", "check a scenario file and summarise it", _configure_validate, _run_validate
    ),
    Command("schema", "print the JSON Schema of scenario files", _configure_schema, _run_schema),
]
