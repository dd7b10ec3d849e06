"""The package's layering rules (developers' guide), checked on the source.

* kernels import only numpy, numba, the standard library, the shared stream module
  (``portfolio_sim.rng``) and the shared codes (``portfolio_sim.codes``), besides each other;
* the SimPy model never imports the kernels (it is their independent check), directly or
  through anything it imports;
* the scenario package imports no engine and no Numba;
* only the results and report layers touch pandas.

Every ``import`` statement counts, including those inside functions.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "src" / "portfolio_sim"
STDLIB = set(sys.stdlib_module_names)


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in ``path``."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}:{node.lineno}: relative import"
            found.append((node.lineno, node.module or ""))
    return found


def modules(*parts: str) -> list[Path]:
    out: list[Path] = []
    for part in parts:
        p = PKG / part
        out += sorted(p.rglob("*.py")) if p.is_dir() else [p]
    return out


def top(name: str) -> str:
    return name.split(".")[0]


@pytest.mark.parametrize(
    "path", modules("kernels", "history/howmany_kernel.py"), ids=lambda p: p.name
)
def test_kernels_import_only_numpy_numba_and_the_stream_module(path: Path) -> None:
    bad = [
        (line, name)
        for line, name in imports_of(path)
        if not (
            top(name) in {"numpy", "numba", "__future__"}
            or top(name) in STDLIB
            or name in {"portfolio_sim.rng", "portfolio_sim.codes"}
            or name.startswith("portfolio_sim.kernels")
        )
    ]
    assert not bad, f"{path.relative_to(PKG)} imports {bad}"


@pytest.mark.parametrize("path", modules("des"), ids=lambda p: p.name)
def test_des_never_imports_the_kernels_directly(path: Path) -> None:
    bad = [
        (line, name)
        for line, name in imports_of(path)
        if name.startswith(("portfolio_sim.kernels", "portfolio_sim.engines.fast"))
    ]
    assert not bad, f"{path.relative_to(PKG)} imports {bad}"


@pytest.mark.parametrize("path", modules("scenario"), ids=lambda p: p.name)
def test_scenario_package_imports_no_engine(path: Path) -> None:
    engines = ("portfolio_sim.kernels", "portfolio_sim.engines", "portfolio_sim.des")
    bad = [
        (line, name)
        for line, name in imports_of(path)
        if name.startswith(engines) or top(name) in {"numba", "simpy", "pandas"}
    ]
    assert not bad, f"{path.relative_to(PKG)} imports {bad}"


def test_simpy_model_loads_no_kernel() -> None:
    """Importing the reference model and running one trial loads no kernel module (Numba
    itself is loaded: the shared stream module is compiled with it)."""
    code = (
        "import sys\n"
        "from portfolio_sim.scenario.load import load\n"
        "from portfolio_sim.scenario.compile import compile_scenario\n"
        "from portfolio_sim.des import simulate_trial\n"
        f"m = compile_scenario(load({str(PKG.parents[1] / 'scenarios' / 'startup.yaml')!r}), 1)\n"
        "simulate_trial(m, 0)\n"
        "bad = sorted(n for n in sys.modules\n"
        "             if n.startswith(('portfolio_sim.kernels', 'portfolio_sim.engines.fast')))\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


OUTSIDE_TABLES = [
    p for p in modules(".") if p.relative_to(PKG).parts[0] not in {"results", "report"}
]


@pytest.mark.parametrize("path", OUTSIDE_TABLES, ids=lambda p: p.relative_to(PKG).as_posix())
def test_only_results_and_report_touch_pandas(path: Path) -> None:
    bad = [(line, name) for line, name in imports_of(path) if top(name) == "pandas"]
    assert not bad, f"{path.relative_to(PKG)} imports {bad}"
