"""``--scheduler ADDRESS`` / ``--workers N``: run a command's trials on a Dask cluster
(docs/distributed.md)."""

from __future__ import annotations

import argparse

from portfolio_sim.cli.arguments import whole_number


def _workers(text: str) -> int:
    value = whole_number(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def add_cluster_options(parser: argparse.ArgumentParser) -> None:
    """The two mutually exclusive options; both absent: the run stays in this process."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run the trials on an existing Dask cluster (e.g. tcp://host:8786); same "
        "numbers as a local run (docs/distributed.md)",
    )
    group.add_argument(
        "--workers",
        type=_workers,
        metavar="N",
        help="run the trials on a Dask LocalCluster of N worker processes on this machine",
    )
