"""Subcommand ``serve``: the what-if service of one scenario file (docs/service.md)."""

from __future__ import annotations

import argparse
import ipaddress

from portfolio_sim.cli import EXIT_OK, Command
from portfolio_sim.cli.arguments import whole_number

LOOPBACK_NAMES = ["127.0.0.1", "localhost", "[::1]", "::1"]


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="scenario file (.yaml, .yml or .toml)")
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this machine only; 0.0.0.0 serves "
        "the network, see docs/service.md)",
    )
    parser.add_argument("--port", type=whole_number, default=8050, help="default 8050")
    parser.add_argument(
        "--trials", type=whole_number, default=None, help="default trials of a forecast (10000)"
    )
    parser.add_argument("--seed", type=whole_number, default=0, help="default seed (0)")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _run(args: argparse.Namespace) -> int:
    from portfolio_sim.errors import InputError

    try:
        import uvicorn

        from portfolio_sim.service import limits
        from portfolio_sim.service.app import create_app
    except ImportError as err:
        raise InputError(
            f"serve needs FastAPI and uvicorn ({err.name} is missing): "
            "pip install 'portfolio-sim[serve]'"
        ) from None
    if not 1 <= args.port <= 65535:
        raise InputError(f"--port must be from 1 to 65535, got {args.port}")
    trials = limits.DEFAULT_TRIALS if args.trials is None else args.trials
    # On a loopback address only requests naming this machine are answered (a web page
    # elsewhere cannot reach the service through a DNS name that points here).
    hosts = LOOPBACK_NAMES if _is_loopback(args.host) else None
    app = create_app(args.file, trials=trials, seed=args.seed, allowed_hosts=hosts)
    shown = f"[{args.host}]" if ":" in args.host else args.host
    print(f"portfolio-sim: serving {args.file} on http://{shown}:{args.port}/ (Ctrl+C stops)")
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return EXIT_OK


COMMANDS = [
    Command(
        "serve",
        "what-if in the browser: a local service that re-forecasts edits of FILE",
        _configure,
        _run,
    )
]
