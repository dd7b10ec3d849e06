"""The HTML reports in a real browser: headless Chromium (Debian's ``chromium``).

Chromium is driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``,
no port, no extra package): the test records every request the page makes, every
failed one, console errors and uncaught exceptions, reads the rendered text, counts the
charts and saves a full-page screenshot under the test's temporary folder. Skipped when
Chromium is not installed (``.ci/run`` installs it); the PDF checks need poppler's
``pdftotext`` (``.ci/run`` installs poppler-utils) and skip without it.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import shutil
import subprocess
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import portfolio_sim
from portfolio_sim import formatting as fmt

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)"
)

ACME = Path(__file__).parent / "data" / "acme.yaml"
#: Hosts Chromium itself may call (updates, time); never the page's requests.
BROWSER_HOSTS = ("google.com", "googleapis.com", "gvt1.com", "gstatic.com")


@dataclass
class Page:
    """What the browser saw when it loaded a file."""

    text: str = ""
    svg_count: int = 0
    table_count: int = 0
    requests: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    screenshot: Path | None = None
    layout: dict[str, Any] = field(default_factory=dict)
    pdf_text: str = ""
    parse_errors: int = 0


class _Pipe:
    """A minimal DevTools-protocol client over Chromium's fds 3 (in) and 4 (out)."""

    def __init__(self, profile: Path) -> None:
        cmd_r, self._cmd_w = os.pipe()
        self._out_r, out_w = os.pipe()
        assert CHROMIUM is not None
        args = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu"]
        args += ["--disable-background-networking", "--disable-component-update"]
        args += ["--disable-sync", "--no-first-run", "--remote-debugging-pipe"]
        args += [f"--user-data-dir={profile}", "--window-size=1280,2000", "about:blank"]

        def fds() -> None:  # in the child: the pipes become fds 3 and 4 (inheritable)
            os.dup2(cmd_r, 3)
            os.dup2(out_w, 4)

        self.proc = subprocess.Popen(
            args,
            preexec_fn=fds,
            close_fds=False,  # fds are closed after preexec_fn: keep 3 and 4 open
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(cmd_r)
        os.close(out_w)
        self._buf = b""
        self._id = 0
        self.events: list[dict[str, Any]] = []

    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buf:
            if time.monotonic() > deadline:
                raise TimeoutError("chromium did not answer")
            chunk = os.read(self._out_r, 1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")
            self._buf += chunk
        msg, _, self._buf = self._buf.partition(b"\0")
        return dict(json.loads(msg))

    def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        self._id += 1
        msg: dict[str, Any] = {"id": self._id, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        os.write(self._cmd_w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + 30
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return dict(reply.get("result", {}))
            self.events.append(reply)

    def wait_for(self, method: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == method for e in self.events):
            self.events.append(self._read(deadline))

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, TimeoutError, OSError):
            self.call("Browser.close")
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._cmd_w)
        os.close(self._out_r)


#: In the page at 1280 px: table containers that clip (scrollWidth > clientWidth) or
#: tables that stick out of the page, date cells whose text wraps onto a second line,
#: and cells of money columns that do not read like "EUR 1,234,568" (optionally with a
#: signed delta in brackets).
LAYOUT_JS = r"""
(() => {
  const page = document.documentElement.clientWidth;
  const out = {clipped: [], wrapped: [], badMoney: [], dateCells: 0, moneyCells: 0,
               pageScrolls: document.documentElement.scrollWidth > page};
  const money = /^([+-]?[A-Z]{3} \d{1,3}(,\d{3})*)( \([+-][A-Z]{3} \d{1,3}(,\d{3})*\))?$/;
  const moneyHead = /cost|budget|npv|value/i;
  for (const table of document.querySelectorAll('table')) {
    const box = table.parentElement;
    const right = table.getBoundingClientRect().right;
    if (box.scrollWidth > box.clientWidth || right > page) {
      out.clipped.push(`${box.tagName}.${box.className}: ${box.scrollWidth} > ${box.clientWidth}`);
    }
    const heads = [...table.querySelectorAll('thead th')].map(th => th.innerText);
    for (const tr of table.querySelectorAll('tbody tr')) {
      [...tr.children].forEach((td, i) => {
        const text = td.innerText.trim();
        if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
          out.dateCells += 1;
          const range = document.createRange();
          range.selectNodeContents(td);
          const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
          if (lines.size > 1) out.wrapped.push(text);
        }
        if (moneyHead.test(heads[i] || '') && !/chance/i.test(heads[i]) && text !== '') {
          out.moneyCells += 1;
          if (!money.test(text)) out.badMoney.push(`${heads[i]}: ${text}`);
        }
      });
    }
  }
  return out;
})()
"""


def render(html_file: Path, tmp: Path, pdf: bool = False) -> Page:
    """Load ``html_file`` in headless Chromium and report what happened: text, layout
    (see :data:`LAYOUT_JS`), a full-page screenshot and, with ``pdf``, the text of the
    page printed to PDF (print CSS applies; needs ``pdftotext``)."""
    browser = _Pipe(tmp / "profile")
    page = Page()
    try:
        target = browser.call("Target.createTarget", url="about:blank")["targetId"]
        session = browser.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Network", "Runtime", "Log"):
            browser.call(f"{domain}.enable", session)
        browser.events.clear()
        browser.call("Page.navigate", session, url=html_file.resolve().as_uri())
        browser.wait_for("Page.loadEventFired")

        def evaluate(expr: str) -> Any:
            res = browser.call("Runtime.evaluate", session, expression=expr, returnByValue=True)
            return res["result"].get("value")

        page.text = str(
            evaluate(
                "document.body ? document.body.innerText : document.documentElement.textContent"
            )
        )
        page.parse_errors = int(evaluate("document.getElementsByTagName('parsererror').length"))
        page.svg_count = int(evaluate("document.querySelectorAll('svg').length"))
        page.table_count = int(evaluate("document.querySelectorAll('table').length"))
        page.layout = dict(evaluate(LAYOUT_JS) or {})
        if pdf:
            printed = browser.call("Page.printToPDF", session, printBackground=True)
            pdf_file = tmp / f"{html_file.stem}.pdf"
            pdf_file.write_bytes(base64.b64decode(printed["data"]))
            page.pdf_text = pdf_text(pdf_file)
        shot = browser.call(
            "Page.captureScreenshot", session, format="png", captureBeyondViewport=True
        )
        page.screenshot = tmp / f"{html_file.stem}.png"
        page.screenshot.write_bytes(base64.b64decode(shot["data"]))
    finally:
        browser.close()
    for e in browser.events:
        method, params = e.get("method"), e.get("params", {})
        if method == "Network.requestWillBeSent":
            page.requests.append(params["request"]["url"])
        elif method == "Network.loadingFailed":
            page.failed.append(f"{params.get('errorText')}: {params.get('requestId')}")
        elif method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            thrown = details.get("exception", {}).get("description", "")
            page.errors.append(f"{details.get('text')} {thrown}")
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "warning"):
            page.errors.append(json.dumps(params.get("args")))
        elif method == "Log.entryAdded" and params["entry"].get("level") in ("error", "warning"):
            page.errors.append(str(params["entry"].get("text")))
    return page


PDFTOTEXT = shutil.which("pdftotext")


def pdf_text(pdf_file: Path) -> str:
    """The text of a PDF (poppler's ``pdftotext``), ligatures decomposed."""
    assert PDFTOTEXT is not None
    out = subprocess.run(
        [PDFTOTEXT, "-layout", str(pdf_file), "-"], capture_output=True, check=True, text=True
    )
    return unicodedata.normalize("NFKC", out.stdout)


def _page_requests(page: Page, html_file: Path) -> list[str]:
    own = html_file.resolve().as_uri()
    return [
        u
        for u in page.requests
        if u != own and not any(h in u.split("/")[2] if "//" in u else False for h in BROWSER_HOSTS)
    ]


def _assert_offline(text: str) -> None:
    """No URL at all, no external resource of any kind: the only references allowed
    are to the page itself (``#id``) or inline data (``data:``)."""
    assert not re.search(r"https?://", text), re.findall(r"https?://[^\s\"'<>]*", text)[:5]
    assert not re.search(r"<(script|link|img|iframe|object|embed)\b", text, re.I)
    local = r"(?!#|data:)"
    refs = re.findall(rf"\b(?:src|href)\s*=\s*[\"']?+{local}[^\s\"'>]*", text, re.I)
    refs += re.findall(rf"url\(\s*[\"']?+{local}[^)]*\)", text, re.I)
    assert refs == [] and "@import" not in text


@pytest.fixture(scope="module")
def comparison() -> portfolio_sim.Comparison:
    return portfolio_sim.compare(ACME, trials=400, seed=2)


def test_browser_sees_errors_and_requests(tmp_path: Path) -> None:
    """The harness itself: a broken page is caught."""
    bad = tmp_path / "bad.html"
    bad.write_text(
        "<!DOCTYPE html><html><body><p>hello</p><img src='missing.png'>"
        "<script>console.error('oops'); throw new Error('boom')</script></body></html>"
    )
    page = render(bad, tmp_path)
    assert "hello" in page.text
    assert any("boom" in e for e in page.errors) and any("oops" in e for e in page.errors)
    assert any(u.endswith("missing.png") for u in _page_requests(page, bad))
    assert page.failed


def test_comparison_report_in_browser(comparison: portfolio_sim.Comparison, tmp_path: Path) -> None:
    path = tmp_path / "compare.html"
    comparison.to_html(str(path))
    text = path.read_text()
    _assert_offline(text)
    page = render(path, tmp_path)
    assert page.errors == [] and page.failed == []
    assert _page_requests(page, path) == []
    # charts: feature dates, cut line, cost fan, NPV, utilisation, paired
    assert page.svg_count >= 6 and page.table_count >= 7
    port = comparison.portfolio.set_index("scenario")
    paired = comparison.paired.set_index("variant")
    for name in comparison.scenarios:
        assert str(port.at[name, "finish_p50"].date()) in page.text
        assert str(port.at[name, "finish_p85"].date()) in page.text
    for name in comparison.variants:
        earlier = fmt.pct(paired.at[name, "earlier_probability"])
        assert f"Finishes earlier than the base in {earlier}" in page.text
    # headline answers come first, then the charts
    assert page.text.index("Variant hire-two") < page.text.index("When: done dates")
    for section in ("Cut line", "cumulative cost", "NPV", "Team utilisation", "paired"):
        assert section.lower() in page.text.lower()
    assert comparison.meta["scenario_sha256"] in page.text
    assert page.screenshot is not None and page.screenshot.stat().st_size > 10_000


def test_forecast_report_in_browser(tmp_path: Path) -> None:
    fc = portfolio_sim.forecast(ACME, trials=400, seed=2)
    path = tmp_path / "forecast.html"
    fc.to_html(str(path))
    page = render(path, tmp_path)
    assert page.errors == [] and page.failed == []
    assert _page_requests(page, path) == []
    assert page.svg_count >= 4 and page.table_count >= 4
    fin = fc.portfolio.loc["finish"]
    assert str(pd.Timestamp(fin["p50"]).date()) in page.text
    assert str(pd.Timestamp(fin["p85"]).date()) in page.text
    assert "Portfolio done (P50)" in page.text
    assert page.screenshot is not None and page.screenshot.stat().st_size > 10_000


def test_forecast_report_has_no_urls(tmp_path: Path) -> None:
    fc = portfolio_sim.forecast(ACME, trials=100, seed=2)
    _assert_offline(fc.to_html())


# -- the bundled scenarios' reports as a finance reader gets them ---------------------------
SCENARIOS = Path(__file__).parent.parent / "scenarios"
JIRA = Path(__file__).parent / "data" / "jira_export.csv"


def _bundled_report(kind: str, tmp: Path) -> tuple[Path, list[str]]:
    """Write one bundled report; return its path and the feature ids it must show."""
    path = tmp / f"{kind}.html"
    if kind == "backtest":
        from portfolio_sim.history import backtest

        result = backtest(JIRA, every="2w", horizon="4w", min_history="4w", trials=300, seed=1)
        result.to_html(str(path))
        return path, []
    if kind == "compare":
        cmp = portfolio_sim.compare(SCENARIOS / "digital-portfolio.yaml", trials=200, seed=1)
        cmp.to_html(str(path))
        return path, list(cmp.base.features["id"])
    fc = portfolio_sim.forecast(SCENARIOS / f"{kind}.yaml", trials=200, seed=1)
    fc.to_html(str(path))
    return path, list(fc.features["id"])


def _in_pdf(feature: str, text: str) -> bool:
    """The id is in the PDF's text (a long id may break onto a new line at a hyphen)."""
    pattern = r"-\s*".join(re.escape(part) for part in feature.split("-"))
    return re.search(rf"(?<![\w-]){pattern}(?![\w-])", text) is not None


@pytest.mark.parametrize(
    "kind", ["startup", "digital-portfolio", "large-portfolio", "compare", "backtest"]
)
def test_bundled_report_layout_and_print(kind: str, tmp_path: Path) -> None:
    """At 1280 px no table is cut off or scrolls, no date wraps, every money cell reads
    "EUR 1,234,568"; printed to PDF (print CSS), every feature id is in the PDF's text
    (the old ~440 px scroll boxes printed about 12 of 45 rows)."""
    path, features = _bundled_report(kind, tmp_path)
    page = render(path, tmp_path, pdf=PDFTOTEXT is not None)
    assert page.errors == [] and page.failed == [] and _page_requests(page, path) == []
    layout = page.layout
    assert layout["clipped"] == [] and not layout["pageScrolls"]
    assert layout["dateCells"] > 0 and layout["wrapped"] == []
    assert layout["badMoney"] == []
    if kind != "backtest":
        assert layout["moneyCells"] > 0
        assert not re.search(r"\d\.\d+e[+-]?\d", page.text)  # no scientific notation
    assert page.screenshot is not None and page.screenshot.stat().st_size > 10_000
    if PDFTOTEXT is None:
        pytest.skip("pdftotext is not installed (apt-get install poppler-utils)")
    missing = [f for f in features if not _in_pdf(f, page.pdf_text)]
    assert missing == [], f"{len(missing)} of {len(features)} feature ids not in the PDF"
    if kind == "backtest":
        assert "Forecasts and actuals" in page.pdf_text and "Payments" in page.pdf_text


def test_svg_files_open_in_the_browser(tmp_path: Path) -> None:
    """Standalone SVG files (`sensitivity --svg`, `trace --gantt x.svg`) load in
    Chromium as SVG documents without an XML parse error."""
    from portfolio_sim.cli import main

    tornado, gantt = tmp_path / "tornado.svg", tmp_path / "gantt.svg"
    assert main(["sensitivity", str(ACME), "--trials", "100", "--svg", str(tornado)]) == 0
    assert main(["trace", str(ACME), "--trial", "3", "--gantt", str(gantt), "--quiet"]) == 0
    for path in (tornado, gantt):
        page = render(path, tmp_path)
        assert page.parse_errors == 0 and page.errors == [], (path.name, page.errors)
        assert page.svg_count >= 1 and "unbound" not in page.text
        assert page.screenshot is not None and page.screenshot.stat().st_size > 5_000


#: Variants added, as text, to the bundled digital portfolio's four: seven in all, with
#: the long names finance users give them.
MORE_VARIANTS = """
  hire-three-data-engineers:
    - set: {teams.data.members: 8}
  payments-keeps-its-fourth-engineer:
    - set: {teams.payments.members: 5}
  web-team-grows-by-two-developers:
    - set: {teams.web.members: 8}
"""


def test_many_variants_report_layout_and_print(tmp_path: Path) -> None:
    """Base + 7 variants (the bundled four made the report 1,882 px wide: the side-by-side
    table at 1,842 px, the cumulative-cost table 1,260 px in a 1,200 px box, and the cut
    line chart shrunk to under half size). At 1280 px nothing is cut off or scrolls and no
    date wraps; no chart is wider than its 900 px box (so none is scaled down); printed
    to PDF, every feature id and every variant name is in the text."""
    text = (SCENARIOS / "digital-portfolio.yaml").read_text()
    assert text.rstrip().endswith("{id: platform, team: platform, rank: 0.5}")  # variants last
    scenario = tmp_path / "seven-variants.yaml"
    scenario.write_text(text.rstrip("\n") + "\n" + MORE_VARIANTS.lstrip("\n"))
    cmp = portfolio_sim.compare(scenario, trials=100, seed=1)
    assert len(cmp.variants) == 7
    path = tmp_path / "compare.html"
    cmp.to_html(str(path))
    html_text = path.read_text()
    widths = [float(w) for w in re.findall(r"<svg[^>]*?\bwidth=\"([\d.]+)\"", html_text)]
    assert len(widths) >= 6 and max(widths) <= 900, widths
    # the side-by-side table comes in two parts (variants 1-4, 5-7), the base in both
    assert "Variants 1-4 of 7" in html_text and "Variants 5-7 of 7" in html_text
    page = render(path, tmp_path, pdf=PDFTOTEXT is not None)
    assert page.errors == [] and page.failed == [] and _page_requests(page, path) == []
    layout = page.layout
    assert layout["clipped"] == [] and not layout["pageScrolls"]
    assert layout["dateCells"] > 0 and layout["wrapped"] == []
    assert layout["badMoney"] == [] and layout["moneyCells"] > 0
    if PDFTOTEXT is None:
        pytest.skip("pdftotext is not installed (apt-get install poppler-utils)")
    features = list(cmp.base.features["id"])
    missing = [f for f in features if not _in_pdf(f, page.pdf_text)]
    assert missing == [], f"{len(missing)} of {len(features)} feature ids not in the PDF"
    absent = [v for v in cmp.variants if not _in_pdf(v, page.pdf_text)]
    assert absent == [], f"variants not in the PDF: {absent}"
