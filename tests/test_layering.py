"""The package's layering rules (developers' guide), checked on the source.

* kernels import only numpy, numba, the standard library, the shared stream module
  (``portfolio_sim.rng``) and the shared codes (``portfolio_sim.codes``), besides each other;
* the SimPy model never imports the kernels (it is their independent check), directly or
  through anything it imports;
* the scenario package imports no engine and no Numba;
* only the results and report layers touch pandas;
* direction: every module belongs to one layer of :data:`LAYERS` (bottom to top) and
  imports only its own unit and layers below it (docs/architecture.md). The one upward
  import allowed is the results layer's rendering methods importing a report module
  inside the method body (:data:`RENDERERS`).

Every ``import`` statement counts, including those inside functions and under
``TYPE_CHECKING``.
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


# -- direction -----------------------------------------------------------------------------
#: The layers, bottom to top (docs/architecture.md). A unit is a top-level module or
#: subpackage of ``portfolio_sim`` (or one module in a subpackage, matched first); units
#: in one layer do not import each other. ``history.howmany_kernel`` is a Numba kernel
#: (numpy, numba, rng only) and sits with the kernels; ``history`` sits below the
#: orchestration modules because ``warming`` compiles its kernel.
LAYERS: list[tuple[str, ...]] = [
    ("codes", "errors", "graph"),
    ("rng", "calendar", "jit_cache", "formatting"),
    ("distributions",),
    ("kernels", "history.howmany_kernel"),
    ("scenario",),
    ("des",),
    ("engines",),
    ("results",),
    ("report",),
    ("history", "distributed"),
    ("forecasting",),
    ("comparing", "tracing", "warming"),
    ("decide",),
    ("service",),
    ("cli",),
    ("__init__", "__main__"),
]
LAYER = {unit: k for k, units in enumerate(LAYERS) for unit in units}

#: Methods of the results layer that may import the report layer, inside their body
#: (a thin call to the renderer, imported on use). Nothing else may import upward.
RENDERERS = {"to_html", "_repr_html_", "to_svg", "gantt_svg", "save_gantt"}


def unit_of(module: str) -> str:
    """The unit of an absolute module name inside the package (see :data:`LAYERS`)."""
    parts = module.split(".")[1:]
    if not parts:
        return "__init__"
    two = ".".join(parts[:2])
    return two if two in LAYER else parts[0]


def module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def upward_imports(source: str, module: str) -> list[str]:
    """``line: importer -> imported`` for every import in ``source`` (the text of
    ``module``) of a package module in its own layer (another unit) or above it, less
    the allowed lazy rendering imports and ``from portfolio_sim import __version__``."""
    src_unit = unit_of(module)
    tree = ast.parse(source)
    bad: list[str] = []

    def visit(node: ast.AST, func: str | None, depth: int) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                visit(child, child.name, depth + 1)
                continue
            targets: list[str] = []
            if isinstance(child, ast.Import):
                targets = [a.name for a in child.names]
            elif isinstance(child, ast.ImportFrom):
                assert child.level == 0, f"{module}:{child.lineno}: relative import"
                mod = child.module or ""
                if mod == "portfolio_sim":
                    # a subpackage or module, else a name of the package root itself
                    targets = [
                        f"portfolio_sim.{a.name}" if a.name in LAYER else "portfolio_sim"
                        for a in child.names
                        if a.name != "__version__"
                    ]
                else:
                    targets = [mod]
            for target in targets:
                if top(target) != "portfolio_sim":
                    continue
                unit = unit_of(target)
                if unit == src_unit or LAYER[unit] < LAYER[src_unit]:
                    continue
                lazy_render = (
                    src_unit == "results"
                    and unit == "report"
                    and func in RENDERERS
                    and depth == 2  # a method body: class -> def
                )
                if not lazy_render:
                    bad.append(f"{child.lineno}: {module} ({src_unit}) -> {target} ({unit})")
            visit(child, func, depth + (isinstance(child, ast.ClassDef)))

    visit(tree, None, 0)
    return bad


ALL_MODULES = modules(".")


@pytest.mark.parametrize("path", ALL_MODULES, ids=lambda p: p.relative_to(PKG).as_posix())
def test_every_module_imports_only_its_own_unit_and_layers_below(path: Path) -> None:
    name = module_name(path)
    assert unit_of(name) in LAYER, f"{name}: no layer declared for it in LAYERS"
    bad = upward_imports(path.read_text(encoding="utf-8"), name)
    assert not bad, "imports against the layer order:\n" + "\n".join(bad)


def test_every_declared_unit_exists() -> None:
    """A stale entry in :data:`LAYERS` would hide a renamed module from the check."""
    names = {unit_of(module_name(p)) for p in ALL_MODULES}
    assert set(LAYER) == names


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("portfolio_sim.results.forecast", "from portfolio_sim.report.html import forecast_html"),
        ("portfolio_sim.results.forecast", "def to_html():\n    import portfolio_sim.report.html"),
        (
            "portfolio_sim.results.forecast",
            "class F:\n    def to_json(self):\n        from portfolio_sim.report import html",
        ),
        (
            "portfolio_sim.results.forecast",
            "class F:\n    def to_html(self):\n        from portfolio_sim.decide import select",
        ),
        ("portfolio_sim.des.model", "from portfolio_sim.results.raw import EngineOutput"),
        ("portfolio_sim.des.model", "from portfolio_sim.engines.output import EngineOutput"),
        ("portfolio_sim.engines.des", "from portfolio_sim.results.money import x"),
        ("portfolio_sim.calendar", "from portfolio_sim.rng import draw"),
        ("portfolio_sim.forecasting", "from portfolio_sim import forecast"),
        ("portfolio_sim.history.howmany_kernel", "from portfolio_sim.scenario import load"),
    ],
)
def test_direction_check_refuses_an_upward_import(module: str, source: str) -> None:
    assert upward_imports(source, module)


@pytest.mark.parametrize(
    ("module", "source"),
    [
        (
            "portfolio_sim.results.forecast",
            "class F:\n    def to_html(self):\n        from portfolio_sim.report import html",
        ),
        ("portfolio_sim.results.forecast", "from portfolio_sim.engines.output import TIME_SCALE"),
        ("portfolio_sim.forecasting", "from portfolio_sim import __version__"),
        ("portfolio_sim.report.gantt", "from portfolio_sim.report.charts import new_figure"),
    ],
)
def test_direction_check_allows_downward_and_lazy_rendering_imports(
    module: str, source: str
) -> None:
    assert upward_imports(source, module) == []


@pytest.mark.parametrize("path", ALL_MODULES, ids=lambda p: p.relative_to(PKG).as_posix())
def test_no_module_imports_a_private_name_of_another(path: Path) -> None:
    """A name used by another module has a public home (``_x`` is private to its module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    bad = [
        (node.lineno, node.module, alias.name)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and top(node.module or "") == "portfolio_sim"
        for alias in node.names
        if alias.name.startswith("_") and not alias.name.startswith("__")
    ]
    assert not bad, f"{path.relative_to(PKG)} imports private names {bad}"
