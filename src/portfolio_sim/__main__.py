"""``python -m portfolio_sim`` runs the command-line interface."""

import sys

from portfolio_sim.cli import main

if __name__ == "__main__":
    sys.exit(main())
