"""The what-if page in a real browser: Playwright driving the system Chromium.

Playwright's own browser download needs the network, so the test drives Debian's
``/usr/bin/chromium`` (``.ci/run`` installs it) through ``executable_path``; it is
skipped, saying why, when Playwright or Chromium is missing or cannot start. The page
talks to a live uvicorn on a free loopback port serving a copy of the bundled digital
portfolio, and every number it shows is checked against :func:`portfolio_sim.forecast`
of the equivalent variant with the same seed and trials.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="the service needs fastapi (pip install -e '.[test]')")
pytest.importorskip("uvicorn", reason="the service needs uvicorn (pip install -e '.[test]')")
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

import uvicorn  # noqa: E402

from portfolio_sim.forecasting import forecast  # noqa: E402
from portfolio_sim.scenario import load  # noqa: E402
from portfolio_sim.service.app import create_app  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DIGITAL = ROOT / "scenarios" / "digital-portfolio.yaml"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
TRIALS, SEED = 2000, 7
WAIT_MS = 60_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    path = tmp_path / "digital.yaml"
    shutil.copy(DIGITAL, path)
    port = _free_port()
    app = create_app(path, trials=TRIALS, seed=SEED, allowed_hosts=["127.0.0.1"])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", path
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def page() -> Iterator[Any]:
    try:
        pw = sync_api.sync_playwright().start()
    except Exception as err:  # pragma: no cover - depends on the machine
        pytest.skip(f"playwright cannot start: {err}")
    try:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
    except Exception as err:  # pragma: no cover - depends on the machine
        pw.stop()
        pytest.skip(f"playwright cannot launch Chromium at {CHROMIUM}: {err}")
    try:
        yield browser.new_page(viewport={"width": 1400, "height": 1000})
    finally:
        browser.close()
        pw.stop()


def _value(page: Any, metric: str) -> str:
    return str(page.text_content(f'[data-metric="{metric}"] .value')).strip()


def _settled(page: Any) -> None:
    page.wait_for_function(
        "() => document.querySelector('#status').textContent.startsWith('up to date')",
        timeout=WAIT_MS,
    )


def test_page_what_if_matches_the_variant_forecast_and_saves(
    served: tuple[str, Path], page: Any
) -> None:
    url, path = served
    original = path.read_text(encoding="utf-8")
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    base = forecast(DIGITAL, TRIALS, SEED).to_dict()["portfolio"]["finish"]["p85"]
    # the bundled variant hire-two is exactly "data team: 5 -> 7 members"
    hire_two = forecast(DIGITAL, TRIALS, SEED, variant="hire-two").to_dict()
    expected = hire_two["portfolio"]["finish"]["p85"]
    assert expected != base  # otherwise the check below could not fail

    page.goto(url + "/")
    _settled(page)
    assert _value(page, "portfolio-p85") == base
    assert page.text_content('[data-metric="portfolio-p85"] .delta') == "no change"

    members = page.locator('[data-team="data"] input[data-field="members"]')
    assert members.input_value() == "5"
    members.fill("7")
    page.wait_for_function(
        "(v) => document.querySelector('[data-metric=\"portfolio-p85\"] .value').textContent === v"
        " && document.querySelector('#status').textContent.startsWith('up to date')",
        arg=expected,
        timeout=WAIT_MS,
    )
    assert _value(page, "portfolio-p85") == expected
    p50 = hire_two["portfolio"]["finish"]["p50"]
    assert _value(page, "portfolio-p50") == p50
    shown_delta = page.text_content('[data-metric="portfolio-p85"] .delta')
    assert shown_delta not in ("", "no change")

    bars = page.locator("#chart g.bar")
    n = bars.count()
    assert n == len(hire_two["features"])
    assert page.locator('#chart g[data-feature="b2b-quote-tool"]').count() == 1
    page.locator('#features li[data-feature="b2b-quote-tool"] input[data-field="in"]').uncheck()
    page.wait_for_function(
        "() => !document.querySelector('#chart g[data-feature=\"b2b-quote-tool\"]')",
        timeout=WAIT_MS,
    )
    _settled(page)
    assert page.locator("#chart g.bar").count() == n - 1

    page.fill("#variant-name", "pm-what-if")
    page.click("#save")
    page.wait_for_selector("#save-result[data-state]", timeout=WAIT_MS)
    assert page.get_attribute("#save-result", "data-state") == "saved", page.text_content(
        "#save-result"
    )
    saved = path.read_text(encoding="utf-8")
    assert saved.startswith(original)  # comments and formatting kept, byte for byte
    assert "# Northwind Retail" in saved
    variant = load(path, variant="pm-what-if")  # validates the whole file too
    assert next(t for t in variant.teams if t.id == "data").members == 7
    assert "b2b-quote-tool" not in [f.id for f in variant.features]

    assert not errors, errors
    assert all(r.startswith(url + "/") for r in requests), requests  # offline: nothing else
