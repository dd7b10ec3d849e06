"""``python -m portfolio_sim`` runs the command-line interface.

A command runs once in a fresh process, so two things the garbage collector would do
for a long-lived one are skipped (together about 0.25 s of a forecast's start-up):

* young objects are collected every 10,000 allocations instead of 700: Numba, pydantic
  and the scenario create some 100,000 long-lived objects while a command starts, and
  each collection walks them (cyclic garbage still goes, a little later);
* at exit the remaining objects are frozen (:func:`gc.freeze`), so shutting down does not
  walk them all again to free memory the process is about to give back. Output is
  flushed, ``atexit`` handlers run and threads are joined as always.
"""

import gc
import sys

from portfolio_sim.cli import main


def run() -> int:
    """Run one CLI command with the collector settings above (the ``portfolio-sim``
    console script and ``python -m portfolio_sim`` both come here)."""
    gc.set_threshold(10_000, *gc.get_threshold()[1:])
    code = main()
    gc.freeze()
    return code


if __name__ == "__main__":
    sys.exit(run())
