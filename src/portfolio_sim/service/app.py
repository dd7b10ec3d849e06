"""The FastAPI app of ``portfolio-sim serve FILE`` (docs/service.md).

:func:`create_app` builds it around one scenario file, loaded and validated at start.
Routes: the page (``/``, ``/app.js``, ``/style.css``: three files read once at start,
no request path ever reaches the file system), ``GET /api/scenario`` (the knobs),
``POST /api/forecast``, ``POST /api/validate``, ``POST /api/save-variant``, and
FastAPI's OpenAPI schema (``/openapi.json``, ``/docs``). Every error is JSON without a
stack trace: bad input 422 with ``problems`` (``path``, ``reason``, ``message``: the
CLI's ``path: reason`` line), a body over the limit 413, a superseded request 409, a
full queue 503, anything unexpected 500 (logged on the server's stderr only).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt
from starlette.concurrency import run_in_threadpool
from starlette.middleware.trustedhost import TrustedHostMiddleware

from portfolio_sim.errors import PortfolioSimError, Problem, ScenarioError
from portfolio_sim.forecasting import forecast
from portfolio_sim.scenario import Scenario, load
from portfolio_sim.scenario.problems import format_path
from portfolio_sim.service import limits
from portfolio_sim.service.answers import delta, headline
from portfolio_sim.service.edits import Edit, apply_edits, edit_steps
from portfolio_sim.service.knobs import knobs
from portfolio_sim.service.pool import Busy, ForecastPool, Superseded
from portfolio_sim.service.save import SaveRefused, json_dates, save_variant

log = logging.getLogger("portfolio_sim.service")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

PAGE_FILES = {"/": "index.html", "/app.js": "app.js", "/style.css": "style.css"}
MEDIA = {".html": "text/html", ".js": "text/javascript", ".css": "text/css"}
#: The page loads nothing from elsewhere (no CDN, no fonts).
CSP = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'"


class EditsRequest(BaseModel):
    """A list of edits (``POST /api/validate``)."""

    model_config = ConfigDict(extra="forbid")
    edits: list[Edit] = Field(default_factory=list, max_length=limits.MAX_EDITS)


class ForecastRequest(EditsRequest):
    """Edits, and optionally trials and seed (the service's defaults otherwise)."""

    trials: StrictInt | None = None
    seed: StrictInt | None = None


class SaveRequest(EditsRequest):
    """Save ``edits`` as variant ``name``; ``overwrite`` replaces a variant of that name."""

    name: str = Field(max_length=200)
    overwrite: StrictBool = False


def problems_json(problems: list[Problem]) -> dict[str, Any]:
    return {"problems": [{"path": p.path, "reason": p.reason, "message": str(p)} for p in problems]}


def _unprocessable(problems: list[Problem]) -> JSONResponse:
    return JSONResponse(problems_json(problems), status_code=422)


class BodyLimit:
    """ASGI middleware: a request body over ``limit`` bytes gets 413 before the app reads
    it (a ``Content-Length`` over the limit at once, a longer chunked body as soon as it
    passes the limit); a body within the limit is handed on whole."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def _refuse(self, send: Send) -> None:
        body = (
            b'{"detail":"request body too large: the limit is '
            + str(self.limit).encode()
            + b' bytes"}'
        )
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"connection", b"close")],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            await self._refuse(send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            size += len(message.get("body", b""))
            if size > self.limit:
                await self._refuse(send)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


class State:
    """The scenario as loaded, the base answers per (trials, seed), and the locks."""

    def __init__(self, path: Path, trials: int, seed: int) -> None:
        self.path = path
        self.scenario: Scenario = load(path)
        self.trials, self.seed = trials, seed
        self._base: dict[tuple[int, int], dict[str, Any]] = {}
        self._lock = threading.Lock()
        self.save_lock = threading.Lock()

    def reload(self) -> None:
        scenario = load(self.path)
        with self._lock:
            self.scenario = scenario
            self._base.clear()

    def base(self, scenario: Scenario, trials: int, seed: int) -> dict[str, Any]:
        """The base plan's headline for (trials, seed), forecast once and kept (8 at most)."""
        key = (trials, seed)
        with self._lock:
            cached = self._base.get(key) if scenario is self.scenario else None
        if cached is not None:
            return cached
        answer = headline(
            forecast(scenario, trials, seed, percentiles="default", team_load=False).to_dict()
        )
        with self._lock:
            if scenario is self.scenario:
                if len(self._base) >= 8:
                    self._base.pop(next(iter(self._base)))
                self._base[key] = answer
        return answer


def _trials_seed(req: ForecastRequest, state: State) -> tuple[int, int]:
    trials = state.trials if req.trials is None else req.trials
    seed = state.seed if req.seed is None else req.seed
    problems = []
    if not 1 <= trials <= limits.MAX_TRIALS:
        problems.append(
            Problem(
                "trials",
                f"must be from 1 to {limits.MAX_TRIALS:,} in the service (a service limit; "
                f"`portfolio-sim forecast --trials N` runs more), got {trials:,}",
            )
        )
    if not 0 <= seed <= limits.MAX_SEED:
        problems.append(Problem("seed", f"must be from 0 to {limits.MAX_SEED}, got {seed}"))
    if problems:
        raise ScenarioError(problems)
    return trials, seed


def _page_files() -> dict[str, tuple[bytes, str]]:
    static = resources.files("portfolio_sim.service") / "static"
    return {
        route: ((static / name).read_bytes(), MEDIA[Path(name).suffix])
        for route, name in PAGE_FILES.items()
    }


def create_app(
    path: str | Path,
    *,
    trials: int = limits.DEFAULT_TRIALS,
    seed: int = 0,
    workers: int = limits.WORKERS,
    max_waiting: int = limits.MAX_WAITING,
    allowed_hosts: list[str] | None = None,
) -> FastAPI:
    """The app serving the scenario file ``path`` (loaded and validated now: a bad file
    raises :class:`ScenarioError`). ``trials``/``seed``: the defaults of a forecast
    request. ``allowed_hosts``: the ``Host`` names accepted (None: any)."""
    state = State(Path(path), trials, seed)
    if not 1 <= trials <= limits.MAX_TRIALS:
        raise ScenarioError(
            Problem("--trials", f"must be from 1 to {limits.MAX_TRIALS:,} in the service")
        )
    pool = ForecastPool(workers, max_waiting)
    page = _page_files()
    app = FastAPI(
        title="portfolio-sim what-if service",
        version="1",
        description="Forecast edits of one scenario file (docs/service.md).",
    )
    app.state.service = state

    @app.exception_handler(RequestValidationError)
    async def bad_body(request: Request, err: RequestValidationError) -> JSONResponse:
        problems = []
        for e in err.errors():
            loc = [x for x in e.get("loc", ()) if x != "body"] or ["body"]
            problems.append(Problem(format_path(loc), str(e.get("msg", "invalid"))))
        return _unprocessable(problems)

    @app.exception_handler(ScenarioError)
    async def bad_edits(request: Request, err: ScenarioError) -> JSONResponse:
        return _unprocessable(err.problems)

    @app.exception_handler(PortfolioSimError)
    async def bad_input(request: Request, err: PortfolioSimError) -> JSONResponse:
        return _unprocessable([Problem("", str(err))])

    @app.exception_handler(Superseded)
    async def superseded(request: Request, err: Superseded) -> JSONResponse:
        detail = "superseded by a newer request of the same client"
        return JSONResponse({"detail": detail}, status_code=409)

    @app.exception_handler(Busy)
    async def busy(request: Request, err: Busy) -> JSONResponse:
        detail = f"busy: {pool.max_waiting} forecasts are already waiting; try again"
        return JSONResponse({"detail": detail}, status_code=503)

    @app.exception_handler(SaveRefused)
    async def refused(request: Request, err: SaveRefused) -> JSONResponse:
        return JSONResponse({"detail": str(err)}, status_code=409)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, err: Exception) -> JSONResponse:
        log.exception("unexpected error answering %s %s", request.method, request.url.path)
        detail = "internal error: the service could not answer (see the server's log)"
        return JSONResponse({"detail": detail}, status_code=500)

    def page_route(route: str) -> None:
        body, media = page[route]

        async def serve_file() -> Response:
            headers = {"Content-Security-Policy": CSP, "Cache-Control": "no-cache"}
            return Response(body, media_type=media, headers=headers)

        app.get(route, include_in_schema=False, name=f"page {route}")(serve_file)

    for route in PAGE_FILES:
        page_route(route)

    @app.get("/api/scenario")
    async def scenario_knobs() -> dict[str, Any]:
        """The editable knobs of the scenario (teams, features in priority order, budget,
        horizon), its variants and the service's limits."""
        doc = knobs(state.scenario, state.path)
        doc["defaults"] = {"trials": state.trials, "seed": state.seed}
        return doc

    @app.post("/api/forecast")
    async def forecast_edits(
        req: ForecastRequest, x_client_id: str | None = Header(default=None, max_length=100)
    ) -> dict[str, Any]:
        """Forecast the plan with ``edits`` and the plan as loaded (same trials and seed:
        the delta is the change). Headline answers, deltas and feature dates."""
        trials, seed = _trials_seed(req, state)
        scenario = state.scenario
        edited = await run_in_threadpool(apply_edits, scenario, req.edits)

        def job() -> dict[str, Any]:
            base = state.base(scenario, trials, seed)
            if edited is scenario:
                answer = base
            else:
                fc = forecast(edited, trials, seed, percentiles="default", team_load=False)
                answer = headline(fc.to_dict())
            return {"edited": answer, "base": base, "delta": delta(answer, base)}

        return await pool.run(x_client_id, job)

    @app.post("/api/validate")
    async def validate_edits(req: EditsRequest) -> dict[str, Any]:
        """The problems of ``edits`` (an empty list: the edited plan is valid)."""
        try:
            await run_in_threadpool(apply_edits, state.scenario, req.edits)
        except ScenarioError as err:
            return {"ok": False, **problems_json(err.problems)}
        return {"ok": True, "problems": []}

    @app.post("/api/save-variant")
    async def save(req: SaveRequest) -> dict[str, Any]:
        """Write ``edits`` as variant ``name`` into the scenario file (YAML only; the file
        is validated before it is replaced, atomically)."""

        def job() -> dict[str, Any]:
            with state.save_lock:
                scenario = state.scenario
                apply_edits(scenario, req.edits)
                steps, _, _ = edit_steps(scenario, req.edits)
                save_variant(state.path, req.name, steps, overwrite=req.overwrite)
                state.reload()
                return {
                    "saved": req.name,
                    "file": state.path.name,
                    "steps": json_dates(steps),
                    "variants": list(state.scenario.variants),
                }

        return await run_in_threadpool(job)

    asgi: Any = app
    if allowed_hosts is not None:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts)
    app.add_middleware(BodyLimit, limit=limits.MAX_BODY_BYTES)
    return asgi
