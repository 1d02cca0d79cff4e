"""``landplan serve``: a local workbench that re-solves a plan on every save and updates the open map in place.

Planners edit a plan, look at the map, and edit again; every command solving the plan anew made that loop slow.
The workbench keeps the plan's last good run in memory, watches the files it was made from (the plan, every file
it extends, the border scenario it names, and the layers folder) with :mod:`watchfiles`, and on a save validates
and re-solves it (:func:`geo.run.run_plan`, through the schedule cache) in a worker thread.  The page learns of
each new state through server-sent events (``events``), fetches the new payload (``payload``) and swaps it into
the map it shows (``static/serve.js``), keeping the month, the colouring, the layers switched on and the view.  A
plan that stops validating keeps the last good map on screen, with its problems (``file:line:col`` and the fix)
beside it.  The page also asks what a delay of a task or gate would move (``whatif``, the same function as
``plan explain --delay``) and writes the current map, GeoPackage export or PDF atlas to ``maps/`` (``write``).

Why Starlette on uvicorn: one small ASGI application (routing, streamed responses for the events, files) on a small
pure-Python HTTP/1.1 server, both widely used and maintained; :mod:`watchfiles` (the maintained Rust-backed watcher
uvicorn itself uses for ``--reload``) runs on the same event loop through anyio, which Starlette already needs.
The standard library's ``http.server`` would need a thread per open page for the events and its own shutdown
handling, and is documented as not meant for serving.

Safety.  The server listens on 127.0.0.1 only, on a free port the system picks, and answers only requests whose
path starts with ``/TOKEN/`` (a random :func:`secrets.token_urlsafe`) and whose ``Host`` is that address: anything
else is refused with 403, so another site open in the same browser cannot read or drive it (nor reach it through
DNS rebinding).  It serves the page, its data and the files of ``maps/`` by their bare names; every other path is
404 and no path from a request ever names a file to read outside ``maps/``.  The only files it writes are the
outputs under ``maps/`` (and the schedule cache, which every command keeps).  Text from plans and layers reaches
the page as JSON (:func:`~geo.output.page.payload_json`) put on the page with ``textContent``, or as HTML through
:func:`~geo.output.page.escape_text`; no response sends a ``Referer`` on, so the token stays on this machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import secrets
import socket
import threading
import time
import webbrowser
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route, Router
from watchfiles import Change, awatch

from . import cache, summary
from . import layers as layer_files
from .errors import LandplanError, OutputError, PlanError, UsageError
from .output import atlas, export
from .output.page import escape_text, fill_slots, payload_json, static_text
from .output.phase_map import MapInputs, build_payload, phase_map, write_phase_map
from .run import PlanRun, build_date, run_plan
from .schedule import DEFAULT_DETERMINISTIC_TIME, SolveStopped
from .workspace import Workspace

__all__ = ["HOST", "OUTPUTS", "Good", "Outcome", "Workbench", "bind", "running", "serve"]

log = logging.getLogger(__name__)

#: The only address the workbench listens on.
HOST = "127.0.0.1"
#: What the page's write button writes into ``maps/``: kind -> suffix.
OUTPUTS = {"map": ".html", "export": ".gpkg", "atlas": ".pdf"}
#: Largest request body accepted (a what-if or a write request is a few dozen bytes).
MAX_BODY = 4096
#: Seconds between keep-alive comments on the events stream, so a dropped connection is noticed.
KEEPALIVE = 15.0
#: A file of ``maps/`` the page may open: a bare name, no folder, not hidden.
_MAP_FILE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,200}")
#: The layer files a plan run reads (``layers/*.geojson``): a change to one re-solves.
_LAYER_SUFFIX = ".geojson"
_CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".gpkg": "application/geopackage+sqlite3",
}
#: Sent with every response: nothing is cached, sniffed, framed, or told where the page (and its token) is.
_HEADERS = {
    "cache-control": "no-store",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
}
#: The workbench page runs its own inline scripts and talks only to this server; OSM tiles are its one image source.
_PAGE_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob: https://tile.openstreetmap.org; connect-src 'self'; "
    "frame-ancestors 'none'; form-action 'none'; base-uri 'none'"
)
#: An output of ``maps/`` opened from the page runs in a sandbox (an origin of its own): it cannot use the token.
#: Files of maps/ run sandboxed and may reach nothing: a hostile file there must not send the page's address
#: (and its token) anywhere. Written maps are self-contained (inline scripts and styles, data: images).
_FILE_CSP = (
    "sandbox allow-scripts; frame-ancestors 'none'; default-src 'none'; script-src 'unsafe-inline'; "
    "style-src 'unsafe-inline'; img-src data: blob: https://tile.openstreetmap.org; connect-src 'none'"
)

#: The page shown until the plan has a good run: fixed markup; its slots are filled by :func:`fill_slots`.
_WAITING_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><link rel="icon" href="data:,">
<title><!--landplan-slot:title--> - landplan serve</title></head>
<body class="lp-serve-waiting"><h1><!--landplan-slot:heading--></h1><ul><!--landplan-slot:errors--></ul>
<script><!--landplan-slot:serve_js--></script><script>landplanServe.wait();</script></body></html>
"""


@dataclass(frozen=True)
class Good:
    """The last run of the plan that validated and solved, and what the page is sent of it.

    ``digest`` is taken when the run is made (the files may change before an output is written), so an output
    always records the inputs of the run it shows.
    """

    run: PlanRun
    digest: str
    version: int
    payload: str
    headline: dict[str, Any]


@dataclass(frozen=True)
class Outcome:
    """What one solve of the plan gave: its new good state or its problems, and the files to watch from now on.

    ``files`` are those the run read, or, for a plan that failed, those watched so far and the files its problems
    name (a broken file it extends); ``stamps`` their modification times as they were read.
    """

    result: Good | list[dict[str, str]]
    files: set[Path]
    stamps: dict[Path, int | None]


def _issues(exc: BaseException) -> list[dict[str, str]]:
    """The problems of a failed run as the page lists them: where (``file:line:col``), what, and the fix."""
    if isinstance(exc, PlanError):
        return [
            {"where": f"{i.file}:{i.line}:{i.col}", "message": i.message, "fix": i.fix, "text": str(i)}
            for i in exc.issues
        ]
    if isinstance(exc, LandplanError | OSError):
        return [{"where": "", "message": str(exc), "fix": "", "text": str(exc)}]
    log.exception("the plan could not be run")
    text = f"internal error: {type(exc).__name__}: {exc} (a bug in landplan; the log has where it happened)"
    return [{"where": "", "message": text, "fix": "", "text": text}]


def _headline(run: PlanRun, seconds: float, cached: bool) -> dict[str, Any]:
    """What the page's workbench panel says of a run: status, end, objective in plain units, size, solve time."""
    problem, sched = run.problem, run.schedule
    return {
        "plan": run.name,
        "status": sched.status,
        "makespan": sched.makespan,
        "objective": summary.describe_objective(problem, sched).text(),
        "zones": len(problem.zones),
        "tasks": len(problem.tasks),
        "horizon": problem.horizon,
        "seconds": round(seconds, 3),
        "cached": cached,
    }


def _stamps(files: set[Path]) -> dict[Path, int | None]:
    """Each file's modification time in nanoseconds (None: missing)."""
    out: dict[Path, int | None] = {}
    for p in files:
        try:
            out[p] = p.stat().st_mtime_ns
        except OSError:
            out[p] = None
    return out


def _cache_entries(root: Path) -> set[str]:
    try:
        return {p.name for p in (root / cache.FOLDER).iterdir()}
    except OSError:
        return set()


class Workbench:
    """One plan served on one port: its last good run, its problems, the watcher and the pages following it.

    Parameters
    ----------
    ws : Workspace
        The workspace: its layers, its plans and the ``maps/`` folder outputs go to.
    plan : str
        A plan path, or a plan's name in ``plans/``.
    budget : float, optional
        The solver's work budget (default :data:`geo.schedule.DEFAULT_DETERMINISTIC_TIME`).
    use_cache : bool, optional
        Read and keep schedules in the workspace's schedule cache (default True).
    """

    def __init__(self, ws: Workspace, plan: str, budget: float | None = None, use_cache: bool = True) -> None:
        self.ws = ws
        self.path = ws.plan_path(plan).resolve()
        self.budget = budget
        self.use_cache = use_cache
        self.token = secrets.token_urlsafe(24)
        self.port = 0
        self.good: Good | None = None
        self.errors: list[dict[str, str]] = []
        self.status = "solving"
        self.solves = 0
        self._watched: set[Path] = {self.path}
        self._stamps: dict[Path, int | None] = {}
        self._layers: dict[str, gpd.GeoDataFrame] | None = None
        self._layers_stale = True
        self._queues: set[asyncio.Queue[str | None]] = set()
        self._page: tuple[int, str] | None = None
        self._write_lock = threading.Lock()
        self._stop = threading.Event()  # set at shutdown: a running solve stops at once instead of finishing
        # created unbound: each binds to the server's event loop when first awaited
        self._dirty = asyncio.Event()
        self._closing = asyncio.Event()
        self._rewatch = asyncio.Event()
        self.server: uvicorn.Server | None = None
        # no redirects to the path with or without a trailing slash: a path is served exactly, or it is 404
        self.app = Starlette(routes=[Mount(f"/{self.token}", app=Router(self._routes(), redirect_slashes=False))])
        self.app.router.redirect_slashes = False

    @property
    def url(self) -> str:
        """The page's address, token included (known once the server has a port)."""
        return f"http://{HOST}:{self.port}/{self.token}/"

    # -- solving ------------------------------------------------------------------------------------------------
    def solve(self) -> Outcome:
        """Validate and solve the plan as its files are now: its new good state, or its problems.

        Runs in a worker thread.  The layers are read again only after a layer file changed; the schedule comes
        from the workspace's cache when the compiled plan was solved before.

        Returns
        -------
        Outcome
        """
        began = time.perf_counter()
        seen = _stamps(self._watched)  # before reading: a save during the solve is then seen as a change
        try:
            if self._layers is None or self._layers_stale:
                self._layers_stale = False
                self._layers = None
                self._layers = layer_files.load_all(self.ws.root)
            known = _cache_entries(self.ws.root)
            run = run_plan(
                self.ws, str(self.path), self.budget, layers=self._layers, use_cache=self.use_cache, stop=self._stop
            )
            digest = run.digest(self.ws)
            payload = payload_json(build_payload(MapInputs.from_run(run, digest)))
        except SolveStopped:  # the server is shutting down: nothing to show, nothing to report
            log.info("%s: solve stopped", self.path.name)
            return Outcome(list(self.errors), set(self._watched), seen)
        except Exception as exc:  # every failure is shown beside the last good map, never raised into the server
            named = exc.issues if isinstance(exc, PlanError) else []
            files = self._watched | {Path(i.file).resolve() for i in named if Path(i.file).is_file()}
            return Outcome(_issues(exc), files, {**_stamps(files), **seen})
        cached = self.use_cache and _entry_name(run, self.budget) in known
        version = (self.good.version if self.good else 0) + 1
        took = time.perf_counter() - began
        log.info("%s: %s in %.2f s%s", self.path.name, run.schedule.status, took, " (cached)" if cached else "")
        files = {p.resolve() for p in run.input_files(self.ws)} | {self.path}
        good = Good(run, digest, version, payload, _headline(run, took, cached))
        return Outcome(good, files, {**_stamps(files), **seen})

    def _folders(self, files: set[Path]) -> set[Path]:
        """The folders watched for ``files``: theirs, and the layers folder."""
        return {p.parent for p in files} | {self.ws.layers}

    def _watch(self, files: set[Path], stamps: dict[Path, int | None]) -> None:
        """Follow ``files`` from now on; a folder not watched so far restarts the watch."""
        if self._folders(files) != self._folders(self._watched):
            self._rewatch.set()
        self._watched, self._stamps = files, stamps

    def _recheck(self) -> None:
        """Solve again if a file changed while the watch was restarting (when no watcher could see it)."""
        if _stamps(set(self._stamps)) != self._stamps:
            self._dirty.set()

    def state(self) -> dict[str, Any]:
        """What the page is told on each change: the status, the good version and its hash, problems, headline."""
        good = self.good
        return {
            "status": self.status,
            "version": good.version if good else 0,
            "hash": good.digest if good else None,
            "headline": good.headline if good else None,
            "errors": self.errors,
            "file": self.path.name,
            "tasks": sorted(good.run.problem.tasks) if good else [],
            "outputs": sorted(OUTPUTS),
        }

    def _publish(self) -> None:
        message = f"event: state\ndata: {payload_json(self.state())}\n\n"
        for q in self._queues:
            q.put_nowait(message)

    async def _refresh(self) -> None:
        """Re-solve in a worker thread (the server keeps answering), then tell every open page."""
        self.status = "solving"
        self._publish()
        outcome = await asyncio.to_thread(self.solve)
        result = outcome.result
        self.solves += 1
        self._watch(outcome.files, outcome.stamps)
        if isinstance(result, Good):
            self.good, self.errors, self.status = result, [], "ready"
        else:
            self.errors, self.status = result, "invalid"
        self._publish()

    async def _solver_loop(self) -> None:
        """Solve whenever something changed; changes made during a solve are handled by one more solve."""
        while True:
            await self._dirty.wait()
            self._dirty.clear()
            await self._refresh()

    def _relevant(self, change: Change, path: str) -> bool:
        """A change the plan depends on: one of its files, or a layer file."""
        p = Path(path)
        if p.parent == self.ws.layers and p.suffix == _LAYER_SUFFIX:
            self._layers_stale = True
            return True
        return p in self._watched or p.resolve() in self._watched

    async def _watch_loop(self) -> None:
        """Watch the folders of the plan's files and the layers folder; a new folder to watch restarts the watch."""
        restarted = False
        while not self._closing.is_set():
            self._rewatch = asyncio.Event()
            folders = sorted(self._folders(self._watched))
            if restarted:
                asyncio.get_running_loop().call_later(0.5, self._recheck)
            restarted = True
            async for _ in awatch(
                *[f for f in folders if f.is_dir()],
                watch_filter=self._relevant,
                debounce=400,
                step=30,
                recursive=False,
                stop_event=self._rewatch,
            ):
                self._dirty.set()

    # -- the HTTP side ------------------------------------------------------------------------------------------
    def _routes(self) -> list[Route]:
        return [
            Route("/", self._index),
            Route("/events", self._events),
            Route("/state", self._state),
            Route("/payload", self._payload),
            Route("/whatif", self._what_if, methods=["POST"]),
            Route("/write", self._write, methods=["POST"]),
            Route("/maps/{name}", self._map_file),
        ]

    async def _index(self, request: Request) -> Response:
        good = self.good
        if good is None:
            return HTMLResponse(self._waiting(), headers={"content-security-policy": _PAGE_CSP})
        if self._page is None or self._page[0] != good.version:
            self._page = (good.version, await asyncio.to_thread(_live_page, good))
        return HTMLResponse(self._page[1], headers={"content-security-policy": _PAGE_CSP})

    def _waiting(self) -> str:
        """The page before the plan has a good run: its status and problems, following the events."""
        heading = f"{self.path.name}: {'solving' if self.status == 'solving' else 'not valid yet'}"
        errors = "".join(f"<li>{escape_text(e['text'])}</li>" for e in self.errors)
        slots = {"title": escape_text(self.path.name), "heading": escape_text(heading), "errors": errors}
        return fill_slots(_WAITING_PAGE, {**slots, "serve_js": static_text("serve.js")})

    async def _state(self, request: Request) -> Response:
        return Response(payload_json(self.state()), media_type="application/json")

    async def _events(self, request: Request) -> Response:
        queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._queues.add(queue)
        queue.put_nowait(f"retry: 1000\nevent: state\ndata: {payload_json(self.state())}\n\n")

        async def stream() -> AsyncIterator[str]:
            try:
                while True:
                    try:
                        message = await asyncio.wait_for(queue.get(), KEEPALIVE)
                    except TimeoutError:
                        message = ": keep-alive\n\n"
                    if message is None:
                        return
                    yield message
            finally:
                self._queues.discard(queue)

        return StreamingResponse(stream(), media_type="text/event-stream")

    async def _payload(self, request: Request) -> Response:
        good = self.good
        if good is None:
            return JSONResponse({"error": "the plan has no good run yet"}, status_code=404)
        return Response(f'{{"version":{good.version},"payload":{good.payload}}}', media_type="application/json")

    async def _what_if(self, request: Request) -> Response:
        body = await _json_body(request)
        good = self.good
        if isinstance(body, Response):
            return body
        task, months = body.get("task"), body.get("months")
        if not isinstance(task, str) or not isinstance(months, int) or isinstance(months, bool):
            return _error(400, "send {'task': a task or gate, 'months': a whole number of months}")
        if good is None:
            return _error(409, "the plan has no good run yet: fix the problems shown first")
        try:
            result = await asyncio.to_thread(summary.what_if, good.run, task, months)
        except UsageError as exc:
            return _error(400, str(exc))
        except PlanError as exc:
            return _error(422, "; ".join(i["text"] for i in _issues(exc)))
        return Response(payload_json(result), media_type="application/json")

    async def _write(self, request: Request) -> Response:
        body = await _json_body(request)
        if isinstance(body, Response):
            return body
        kind, good = body.get("what"), self.good
        if kind not in OUTPUTS:
            return _error(400, f"write one of {', '.join(sorted(OUTPUTS))}")
        if good is None:
            return _error(409, "the plan has no good run yet: fix the problems shown first")
        if self._write_lock.locked():  # a queued write would hold a worker the solver needs
            return _error(409, "a write is running; try again when it is done")
        try:
            dest = await asyncio.to_thread(self.write, str(kind), good)
        except OutputError as exc:
            return _error(500, str(exc))
        rel = dest.relative_to(self.ws.root).as_posix()
        return Response(payload_json({"written": rel, "href": f"maps/{dest.name}"}), media_type="application/json")

    def write(self, kind: str, good: Good) -> Path:
        """Write the map, export or atlas of ``good`` to ``maps/PLAN.html``, ``.gpkg`` or ``.pdf``, atomically.

        The same writers as ``landplan map``, ``export --format gpkg`` and ``atlas``; one write at a time.

        Parameters
        ----------
        kind : {"map", "export", "atlas"}
            What to write.
        good : Good
            The run to write (the one the page shows).

        Returns
        -------
        Path
            The file written, inside ``maps/``.

        Raises
        ------
        OutputError
            When it cannot be written (the previous file is left as it was).
        """
        dest = self._output(kind)
        run = good.run
        with self._write_lock:
            if kind == "map":
                write_phase_map(MapInputs.from_run(run, good.digest), dest)
            elif kind == "export":
                export.export(run, "gpkg", dest, good.digest)
            else:
                atlas.write_atlas(run, dest, good.digest, build_date())
        log.info("wrote %s", dest)
        return dest

    def _output(self, kind: str) -> Path:
        """``maps/STEM.SUFFIX`` for the plan, checked to stay inside ``maps/`` and to be writable."""
        stem = self.path.stem if _MAP_FILE.fullmatch(self.path.stem) else "plan"
        folder = self.ws.maps
        try:
            folder.mkdir(exist_ok=True)
        except OSError as exc:
            raise OutputError(f"could not write {folder}: {exc.strerror or exc}. Make the workspace writable") from exc
        dest = folder / f"{stem}{OUTPUTS[kind]}"
        if not self._own_maps() or dest.resolve().parent != folder.resolve():
            raise OutputError(f"could not write {dest}: it is not a file of {folder}. Fix: remove the link there")
        return dest

    def _own_maps(self) -> bool:
        """Whether ``maps/`` is the workspace's own folder, not a link to somewhere else."""
        return self.ws.maps.resolve() == self.ws.root.resolve() / "maps"

    async def _map_file(self, request: Request) -> Response:
        name = str(request.path_params["name"])
        folder = self.ws.maps.resolve()
        path = folder / name
        if (
            not self._own_maps()
            or not _MAP_FILE.fullmatch(name)
            or not path.is_file()
            or path.resolve().parent != folder
        ):
            return Response("Not Found", status_code=404, media_type="text/plain")
        kind = _CONTENT_TYPES.get(path.suffix.lower(), "application/octet-stream")
        headers = {"content-security-policy": _FILE_CSP}
        if path.suffix.lower() not in (".html", ".pdf", ".png"):
            headers["content-disposition"] = f'attachment; filename="{name}"'
        return FileResponse(path, media_type=kind, headers=headers)

    # -- running ------------------------------------------------------------------------------------------------
    def asgi(self) -> Callable[[MutableMapping[str, Any], Any, Any], Awaitable[None]]:
        """The application behind the token and ``Host`` checks: what the server runs."""
        prefix = f"/{self.token}/".encode()

        async def guarded(scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
            if scope["type"] != "http":
                return
            raw = scope.get("raw_path") or scope["path"].encode()
            host = dict(scope.get("headers") or []).get(b"host", b"")
            allowed = host in (f"{HOST}:{self.port}".encode(), f"localhost:{self.port}".encode())
            if not (secrets.compare_digest(raw[: len(prefix)], prefix) and allowed):
                await _send_plain(send, 403, b"Forbidden")
                return
            await self.app(scope, receive, _with_headers(send))

        return guarded

    async def serve(self, sock: socket.socket, ready: Callable[[str], None] | None = None) -> None:
        """Serve on ``sock`` until the server is told to stop (Ctrl-C, or :attr:`server`'s ``should_exit``).

        Parameters
        ----------
        sock : socket.socket
            A listening socket bound to 127.0.0.1 (see :func:`bind`).
        ready : callable, optional
            Called with the page's address once the server accepts requests.
        """
        self.port = sock.getsockname()[1]
        self._dirty.set()
        config = uvicorn.Config(
            self.asgi(),
            log_config=None,
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
            limit_concurrency=64,  # connections left open without the token cannot use up the process's files
        )
        self.server = uvicorn.Server(config)
        tasks = [asyncio.create_task(c) for c in (self._solver_loop(), self._watch_loop(), self._when_up(ready))]
        try:
            await self.server.serve(sockets=[sock])
        finally:
            self._stop.set()
            self._closing.set()
            self._rewatch.set()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _when_up(self, ready: Callable[[str], None] | None) -> None:
        """Tell ``ready`` the address once the server is up; end the event streams once it is told to stop."""
        assert self.server is not None
        while not self.server.started:
            await asyncio.sleep(0.02)
        if ready is not None:
            ready(self.url)
        while not self.server.should_exit:
            await asyncio.sleep(0.1)
        for q in self._queues:
            q.put_nowait(None)


def _entry_name(run: PlanRun, budget: float | None) -> str:
    """The cache entry of a run's schedule (to tell the page whether it came from the cache)."""
    units = budget if budget is not None else DEFAULT_DETERMINISTIC_TIME
    return f"{cache.key(run.problem, units)}.json"


def _live_page(good: Good) -> str:
    """The phase map of ``good`` as the workbench serves it: the page ``landplan map`` writes, plus serve.js."""
    return str(phase_map(MapInputs.from_run(good.run, good.digest), live=True).get_root().render())


def _error(status: int, message: str) -> Response:
    return Response(payload_json({"error": message}), status_code=status, media_type="application/json")


async def _json_body(request: Request) -> dict[str, Any] | Response:
    """A small JSON object from a POST, or the response refusing it (wrong type, too large, not an object)."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        return _error(415, "send JSON (content-type: application/json)")
    data = b""
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_BODY:
            return _error(413, f"a request body is at most {MAX_BODY} bytes")
    try:
        body = json.loads(data)
    except (ValueError, RecursionError):  # a few KB of nested brackets is deep enough to overflow the parser
        return _error(400, "the request body is not JSON")
    return body if isinstance(body, dict) else _error(400, "send a JSON object")


async def _send_plain(send: Any, status: int, text: bytes) -> None:
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(text)).encode())]
    headers += [(k.encode(), v.encode()) for k, v in _HEADERS.items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": text})


def _with_headers(send: Any) -> Callable[[MutableMapping[str, Any]], Awaitable[None]]:
    """``send`` adding :data:`_HEADERS` to every response that does not set them itself."""

    async def wrapped(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            have = {k.lower() for k, _ in message.get("headers", [])}
            extra = [(k.encode(), v.encode()) for k, v in _HEADERS.items() if k.encode() not in have]
            message = {**message, "headers": [*message.get("headers", []), *extra]}
        await send(message)

    return wrapped


def bind() -> socket.socket:
    """A socket listening on 127.0.0.1 on a free port the system picks."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((HOST, 0))
    sock.listen(64)
    return sock


def serve(
    ws: Workspace,
    plan: str,
    budget: float | None = None,
    *,
    use_cache: bool = True,
    open_browser: bool = True,
    ready: Callable[[str], None] | None = None,
) -> None:
    """Serve the workbench of ``plan`` until Ctrl-C: the command ``landplan serve``.

    Parameters
    ----------
    ws : Workspace
        The workspace.
    plan : str
        A plan path, or a plan's name in ``plans/``.
    budget : float, optional
        The solver's work budget.
    use_cache : bool, optional
        Read and keep schedules in the workspace's schedule cache.
    open_browser : bool, optional
        Open the page in the default browser once the server is up.
    ready : callable, optional
        Called with the page's address (token included) once the server is up.

    Raises
    ------
    KeyboardInterrupt
        When stopped with Ctrl-C (after the server has shut down).
    """
    bench = Workbench(ws, plan, budget, use_cache)

    def up(url: str) -> None:
        if ready is not None:
            ready(url)
        if open_browser:
            webbrowser.open(url)

    with bind() as sock:
        asyncio.run(bench.serve(sock, up))


@contextlib.contextmanager
def running(
    ws: Workspace, plan: str, budget: float | None = None, *, use_cache: bool = True, timeout: float = 30.0
) -> Iterator[Workbench]:
    """Serve ``plan`` in a background thread for the length of a ``with`` block (tests, notebooks).

    Parameters
    ----------
    ws, plan, budget, use_cache
        As for :func:`serve`.
    timeout : float, optional
        Seconds to wait for the server to come up, and to stop.

    Yields
    ------
    Workbench
        The running workbench (its :attr:`Workbench.url` is known).
    """
    bench = Workbench(ws, plan, budget, use_cache)
    up = threading.Event()
    sock = bind()
    thread = threading.Thread(
        target=lambda: asyncio.run(bench.serve(sock, lambda _: up.set())), name="landplan-serve", daemon=True
    )
    thread.start()
    try:
        if not up.wait(timeout):
            raise LandplanError(f"the workbench did not start within {timeout:g} s")
        yield bench
    finally:
        if bench.server is not None:
            bench.server.should_exit = True
        thread.join(timeout)
        sock.close()
