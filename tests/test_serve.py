"""``landplan serve``: the token and path rules, the cache, broken edits, writes under maps/ only, and the live page."""

import http.client
import json
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from geo import cli, serve, workspace
from geo import run as run_module
from geo.schedule import explain
from geo.workspace import Workspace

BUDGET = 0.5
#: Seconds any wait here may take before the test fails (nothing hangs).
WAIT = 20.0

#: A plan of four shipped zones: it solves in well under a second.
SMALL = """\
extends: defaults.yaml
meta:
  name: "{name}"
  start: "{start}"
zones:
  use: [{zones}]
crossings:
  - {{id: allenby, serves: [all], duration: 2}}
"""
ZONES = "jenin-a, jenin-c, old-city, gaza-city"


def small(name: str = "small", start: str = "2027-01", zones: str = ZONES) -> str:
    return SMALL.format(name=name, start=start, zones=zones)


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """A workspace made by ``landplan init``, with the small plan."""
    w = workspace.init(tmp_path_factory.mktemp("serve") / "ws")
    (w.plans / "small.yaml").write_text(small(), encoding="utf-8")
    return w


@pytest.fixture
def plan_file(ws: Workspace, request: pytest.FixtureRequest) -> Path:
    """A plan of this test's own in the workspace (so that tests editing it do not disturb each other)."""
    path = ws.plans / f"{re.sub(r'[^a-z0-9]+', '-', request.node.name.lower())[:60]}.yaml"
    path.write_text(small(), encoding="utf-8")
    return path


def until(check: Callable[[], object], what: str, timeout: float = WAIT) -> object:
    """Poll ``check`` until it returns something true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"timed out after {timeout:g} s waiting for {what}")


@pytest.fixture
def bench(ws: Workspace, plan_file: Path) -> Iterator[serve.Workbench]:
    """The workbench of this test's plan, running, with its first solve done."""
    with serve.running(ws, str(plan_file), BUDGET, timeout=WAIT) as b:
        until(lambda: b.status != "solving", "the first solve")
        assert b.status == "ready", b.errors
        yield b


@pytest.fixture(scope="module")
def shared(ws: Workspace) -> Iterator[serve.Workbench]:
    """One workbench of the small plan for the tests that only read from it."""
    with serve.running(ws, "small", BUDGET, timeout=WAIT) as b:
        until(lambda: b.status != "solving", "the first solve")
        assert b.status == "ready", b.errors
        yield b


def request(
    b: serve.Workbench, path: str, method: str = "GET", body: object = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One raw request (the path is sent exactly as given: no client normalises '..' away)."""
    # writing an atlas on a loaded machine can take more than 10 s
    conn = http.client.HTTPConnection(serve.HOST, b.port, timeout=60)
    try:
        data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
        sent = {"content-type": "application/json"} if data is not None else {}
        conn.request(method, path, body=data, headers={**sent, **(headers or {})})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def api(b: serve.Workbench, name: str, method: str = "GET", body: object = None) -> tuple[int, object]:
    status, _, data = request(b, f"/{b.token}/{name}", method, body)
    return status, json.loads(data)


def files(root: Path) -> dict[str, tuple[int, int]]:
    """Every file of the workspace but the schedule cache, with its size and modification time."""
    return {
        p.relative_to(root).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in root.rglob("*")
        if p.is_file() and ".landplan" not in p.relative_to(root).parts
    }


# -- the token, the host and the paths ------------------------------------------------------------------------------
def test_requests_without_the_token_get_403(shared):
    t = shared.token
    for path in [
        "/",
        "/events",
        "/payload",
        "/state",
        "/maps/small.html",
        f"/{t}",  # the token, but not as a folder of the path
        f"/{t[:-1]}/",
        f"/{t[:-1]}{'A' if t[-1] != 'A' else 'B'}/",
        f"/{t.upper() if t.upper() != t else t.lower()}/",
        f"/x/{t}/",
        f"/?token={t}",
        "/../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "//etc/passwd",
        f"/%2F{t}/",
    ]:
        status, headers, _ = request(shared, path)
        assert status == 403, path
        assert headers["referrer-policy"] == "no-referrer"
    status, _, _ = request(shared, "/write", "POST", {"what": "map"})
    assert status == 403


def test_a_foreign_host_gets_403_even_with_the_token(shared):
    """A page on another site resolving its own name to 127.0.0.1 (DNS rebinding) is refused."""
    for host in ("evil.example", f"evil.example:{shared.port}", f"127.0.0.1:{shared.port + 1}", ""):
        status, _, _ = request(shared, f"/{shared.token}/", headers={"Host": host})
        assert status == 403, host
    assert request(shared, f"/{shared.token}/", headers={"Host": f"localhost:{shared.port}"})[0] == 200


def test_paths_outside_what_it_serves_get_404(shared, ws):
    (ws.maps / "inside.html").write_text("<p>an output</p>", encoding="utf-8")
    (ws.maps / ".hidden.html").write_text("hidden", encoding="utf-8")
    outside = ws.root.parent / "outside.html"
    outside.write_text("secret", encoding="utf-8")
    (ws.maps / "link.html").unlink(missing_ok=True)
    (ws.maps / "link.html").symlink_to(outside)
    t = shared.token
    for rest in [
        "../pyproject.toml",
        "../../etc/passwd",
        "%2e%2e/%2e%2e/etc/passwd",
        "..%2f..%2fetc%2fpasswd",
        "/etc/passwd",
        "%2fetc%2fpasswd",
        "plans/small.yaml",
        "layers/zones.geojson",
        "maps/../plans/small.yaml",
        "maps/..%2fplans%2fsmall.yaml",
        "maps/%2e%2e%2fplans%2fsmall.yaml",
        "maps/%2e%2e",
        "maps/.hidden.html",
        "maps/link.html",  # a link out of maps/
        "maps/",
        "maps/inside.html/",
        "maps//etc/passwd",
        "maps/%2fetc%2fpasswd",
        "maps/C:%5cWindows%5cwin.ini",
        "static/serve.js",
        "nothing",
    ]:
        status, _, body = request(shared, f"/{t}/{rest}")
        assert status == 404, rest
        assert b"secret" not in body and b"root:" not in body
    status, headers, body = request(shared, f"/{t}/maps/inside.html")
    assert (status, body) == (200, b"<p>an output</p>")
    assert headers["content-security-policy"].startswith("sandbox")  # no access to the token's origin


def test_the_page_payload_and_events(shared):
    status, headers, page = request(shared, f"/{shared.token}/")
    assert status == 200
    assert headers["content-type"].startswith("text/html")
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["cache-control"] == "no-store"
    text = page.decode()
    assert "landplanServe.attach(landplan, layer_control_control);" in text
    assert text.count("<title>") == 1 and "small - landplan</title>" in text
    status, doc = api(shared, "payload")
    assert status == 200
    state = shared.state()
    assert doc["version"] == state["version"] == 1
    assert doc["payload"]["meta"]["hash"] == state["hash"]
    assert doc["payload"]["zones"]["id"] == ["jenin-a", "jenin-c", "old-city", "gaza-city"]
    conn = http.client.HTTPConnection(serve.HOST, shared.port, timeout=10)
    try:
        conn.request("GET", f"/{shared.token}/events")
        r = conn.getresponse()
        assert r.getheader("content-type").startswith("text/event-stream")
        first = b""
        while not first.endswith(b"\n\n"):
            first += r.read1(4096)
    finally:
        conn.close()
    lines = first.decode().splitlines()
    assert "event: state" in lines
    sent = json.loads(next(x for x in lines if x.startswith("data: "))[6:])
    assert sent["status"] == "ready" and sent["hash"] == state["hash"]
    assert "crossing/allenby" in sent["tasks"]


# -- solving, the cache, broken edits ---------------------------------------------------------------------------------
@pytest.fixture
def solves(monkeypatch):
    """Count the solver's runs (as tests/test_cache.py does)."""
    count = []
    real = run_module.schedule.solve

    def counting(*args, **kwargs):
        count.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(run_module.schedule, "solve", counting)
    return count


def test_a_second_load_reads_the_schedule_cache(ws, tmp_path, solves):
    plan = ws.plans / "cached.yaml"
    plan.write_text(small(name="cached once"), encoding="utf-8")
    with serve.running(ws, str(plan), BUDGET, timeout=WAIT) as b:
        until(lambda: b.status == "ready", "the first solve")
        assert b.good is not None and b.good.headline["cached"] is False
    assert len(solves) == 1
    with serve.running(ws, str(plan), BUDGET, timeout=WAIT) as b:
        until(lambda: b.status == "ready", "the second load")
        assert b.good is not None and b.good.headline["cached"] is True
        hash_before = b.good.digest
        plan.write_text(small(name="cached twice"), encoding="utf-8")  # an edit misses the cache...
        until(lambda: b.good is not None and b.good.version == 2, "the edit")
        assert b.good.headline["cached"] is False
        plan.write_text(small(name="cached once"), encoding="utf-8")  # ...and undoing it hits it again
        until(lambda: b.good is not None and b.good.version == 3, "the undo")
        assert b.good.headline["cached"] is True
        assert b.good.digest == hash_before
    assert len(solves) == 2


def test_a_broken_edit_shows_where_and_keeps_the_last_good_state(bench, plan_file):
    good = bench.good
    assert good is not None
    plan_file.write_text(small(name="edited"), encoding="utf-8")
    until(lambda: bench.good is not None and bench.good.version == 2, "the good edit")
    kept = bench.good
    assert kept.headline["plan"] == "edited"
    plan_file.write_text(small(name="edited").replace("duration: 2", "duration: -3"), encoding="utf-8")
    until(lambda: bench.status == "invalid", "the broken edit to be reported")
    state = bench.state()
    assert state["version"] == 2 and state["hash"] == kept.digest  # the last good state stays
    issue = state["errors"][0]
    assert issue["where"] == f"{plan_file}:8:44"  # the crossing's duration
    assert "below the minimum" in issue["message"] and issue["fix"]
    status, doc = api(bench, "payload")
    assert status == 200 and doc["payload"]["meta"]["hash"] == kept.digest
    plan_file.write_text("meta:\n  name: [unclosed\n", encoding="utf-8")  # a YAML error, at its own position
    until(lambda: bench.errors and not bench.errors[0]["where"].endswith(":8:44"), "the YAML error")
    assert bench.errors[0]["where"] == f"{plan_file}:3:1"
    assert bench.good is not None and bench.good.digest == kept.digest
    plan_file.write_text(small(name="fixed"), encoding="utf-8")
    until(lambda: bench.status == "ready" and bench.good is not None and bench.good.version == 3, "the fix")
    assert bench.good.headline["plan"] == "fixed"


def test_a_plan_invalid_from_the_start_shows_its_problems_escaped_until_it_validates(ws):
    plan = ws.plans / "broken-at-start.yaml"
    plan.write_text(small() + "<script>alert(1)</script>: 1\n", encoding="utf-8")
    with serve.running(ws, str(plan), BUDGET, timeout=WAIT) as b:
        until(lambda: b.status == "invalid", "the plan's problems")
        status, _, page = request(b, f"/{b.token}/")
        assert status == 200
        text = page.decode()
        assert "<script>alert" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
        assert f"{plan}:9:1" in text  # where the unknown section is
        assert "landplanServe.wait();" in text
        assert api(b, "payload")[0] == 404
        assert api(b, "write", "POST", {"what": "map"})[0] == 409
        plan.write_text(small(), encoding="utf-8")
        until(lambda: b.status == "ready", "the fixed plan")
        assert "landplanServe.attach" in request(b, f"/{b.token}/")[2].decode()


def test_a_file_the_plan_extends_is_watched(ws):
    defaults = (ws.plans / "defaults.yaml").read_text(encoding="utf-8")
    assert "\nhorizon: 120\n" in defaults
    extended = ws.plans / "base-x.yaml"
    extended.write_text(defaults.replace("\nhorizon: 120\n", "\nhorizon: 100\n"), encoding="utf-8")
    plan = ws.plans / "extending.yaml"
    plan.write_text(small().replace("extends: defaults.yaml", "extends: base-x.yaml"), encoding="utf-8")
    with serve.running(ws, str(plan), BUDGET, timeout=WAIT) as b:
        until(lambda: b.status != "solving", "the first solve")
        assert b.status == "ready", b.errors
        assert b.good is not None and b.good.headline["horizon"] == 100
        extended.write_text(defaults.replace("\nhorizon: 120\n", "\nhorizon: 90\n"), encoding="utf-8")
        until(lambda: b.good is not None and b.good.headline["horizon"] == 90, "the extended file's edit")
        extended.write_text(defaults.replace("\nhorizon: 120\n", "\nhorizon: many\n"), encoding="utf-8")
        until(lambda: b.status == "invalid", "the extended file's broken edit")
        assert b.errors[0]["where"].startswith(f"{extended}:12:"), b.errors


# -- what-if and writing ----------------------------------------------------------------------------------------------
def test_what_if_is_the_same_as_plan_explain_delay(shared):
    status, doc = api(shared, "whatif", "POST", {"task": "crossing allenby", "months": 3})
    assert status == 200
    run = shared.good.run
    _, moved = explain.what_if(run.problem, run.schedule, "crossing allenby", 3)
    assert doc["delay"] == "crossing/allenby"
    assert [(m["task"], m["from"], m["to"]) for m in doc["moved"]] == moved
    assert {"month", "metric", "unit", "before", "after", "change"} <= set(doc["metrics"][0])
    status, doc = api(shared, "whatif", "POST", {"task": "no-such-gate", "months": 3})
    assert status == 400 and "no task or gate named 'no-such-gate'" in doc["error"]
    for body in ({"task": "crossing allenby"}, {"task": 3, "months": 3}, {"task": "x", "months": True}, [1]):
        assert api(shared, "whatif", "POST", body)[0] == 400
    assert request(shared, f"/{shared.token}/whatif", "POST", b"x" * 5000)[0] == 413
    assert request(shared, f"/{shared.token}/whatif", "POST", b"{}", {"content-type": "text/plain"})[0] == 415
    assert request(shared, f"/{shared.token}/whatif")[0] == 405


def test_writes_go_to_maps_only(bench, ws, plan_file):
    before = files(ws.root)
    written = {}
    for kind in serve.OUTPUTS:
        status, doc = api(bench, "write", "POST", {"what": kind})
        assert status == 200, doc
        written[kind] = doc["written"]
    stem = plan_file.stem
    assert written == {"map": f"maps/{stem}.html", "export": f"maps/{stem}.gpkg", "atlas": f"maps/{stem}.pdf"}
    after = files(ws.root)
    changed = {p for p in after if before.get(p) != after[p]} | (set(before) - set(after))
    assert changed == set(written.values())
    assert (ws.root / written["atlas"]).read_bytes().startswith(b"%PDF")
    assert "landplanServe" not in (ws.root / written["map"]).read_text(encoding="utf-8")  # the plain map
    assert api(bench, "write", "POST", {"what": "../../x"})[0] == 400
    assert api(bench, "write", "POST", {"what": "map", "path": "/tmp/x.html"})[0] == 200  # no path is taken
    assert set(files(ws.root)) == set(after)


def test_the_command_line_refuses_a_missing_plan(ws, capsys):
    assert cli.main(["--workspace", str(ws.root), "serve", "no-such-plan", "--no-browser"]) == cli.EXIT_DATA
    assert "no-such-plan" in capsys.readouterr().err


# -- the page in a browser ------------------------------------------------------------------------------------------
@pytest.mark.browser
def test_the_open_page_follows_edits_without_a_reload(chromium, bench, plan_file):
    base = f"http://{serve.HOST}:{bench.port}/"
    page = chromium.new_page(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    blocked: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.route(lambda url: not url.startswith(base), lambda r: (blocked.append(r.request.url), r.abort()))
    page.set_default_timeout(WAIT * 1000)
    try:
        page.goto(bench.url)
        page.wait_for_function("() => window.landplanServe && landplanServe.states > 0 && landplan.ready !== null")
        page.evaluate("() => { window.kept = 'still here'; landplan.setMonth(7); landplan.map.setZoom(9); }")
        view = page.evaluate("() => [landplan.map.getCenter().lat, landplan.map.getZoom()]")
        assert page.locator(".lp-month").inner_text() == "Aug 2027 (month 7)"
        headline = page.locator("#lp-serve-headline").inner_text()
        assert "4 zones" in headline
        plan_file.write_text(small(name="edited live", start="2028-01", zones=ZONES + ", hebron-a"), encoding="utf-8")
        page.wait_for_function("() => landplanServe.updates === 1")
        assert page.evaluate("() => window.kept") == "still here"  # the same page: no reload
        assert page.evaluate("() => landplan.month") == 7
        assert page.locator(".lp-month").inner_text() == "Aug 2028 (month 7)"
        assert page.locator(".lp-title").inner_text() == "edited live"
        assert page.evaluate("() => [landplan.map.getCenter().lat, landplan.map.getZoom()]") == view
        assert page.evaluate("() => landplan.zones.painted") == 5
        assert "5 zones" in page.locator("#lp-serve-headline").inner_text()
        plan_file.write_text(small(name="edited live").replace("duration: 2", "duration: -3"), encoding="utf-8")
        page.wait_for_function("() => document.getElementById('lp-serve-errors').hidden === false")
        shown = page.locator("#lp-serve-errors").inner_text()
        assert f"{plan_file.name}:8:44" in shown, shown
        assert "Fix:" in shown
        assert page.evaluate("() => window.kept") == "still here"
        assert page.locator(".lp-title").inner_text() == "edited live"  # the last good map stays
        assert page.locator("#lp-serve-status").get_attribute("data-status") == "invalid"
        page.fill("input[name=task]", "crossing allenby")
        page.fill("input[name=months]", "3")
        page.click(".lp-serve-whatif button")
        page.wait_for_function("() => document.getElementById('lp-serve-whatif').textContent.includes('slips')")
        assert "crossing/allenby: month 0 \u2192 3" in page.locator("#lp-serve-whatif").inner_text()
        page.click("button[data-write=map]")
        page.wait_for_function("() => document.getElementById('lp-serve-written').textContent.startsWith('wrote')")
        assert page.locator("#lp-serve-written a").get_attribute("href") == f"maps/{plan_file.stem}.html"
        # in Hebrew, an edit keeps the language, relabels the layer list, and leaves one app answering the keys
        page.evaluate("() => { landplan.setLanguage('he'); window.firstApp = landplan; }")
        plan_file.write_text(small(name="edited again"), encoding="utf-8")
        page.wait_for_function("() => landplanServe.updates === 2")
        assert page.evaluate("() => [landplan.language(), document.documentElement.dir]") == ["he", "rtl"]
        assert not re.search(r"[A-Za-z]", page.locator(".leaflet-control-layers-overlays").inner_text())
        assert page.locator(".lp-handle").count() == 1
        page.evaluate(
            "() => { landplan.setMonth(0); firstApp.moved = 0; firstApp.on('monthchange', () => firstApp.moved++); }"
        )
        page.locator("body").focus()
        page.keyboard.press("n")
        assert page.evaluate("() => [landplan.month > 0, firstApp.moved]") == [True, 0]
        assert errors == [] and blocked == []
    finally:
        page.close()


def test_a_maps_folder_linked_elsewhere_is_neither_served_nor_written(bench, ws, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.html").write_text("not the workspace's", encoding="utf-8")
    maps = ws.root / "maps"
    kept = ws.root / "maps.kept"
    if maps.exists():
        maps.rename(kept)
    try:
        maps.symlink_to(outside, target_is_directory=True)
        assert request(bench, f"/{bench.token}/maps/secret.html")[0] == 404
        status, doc = api(bench, "write", "POST", {"what": "map"})
        assert status == 500 and "link" in str(doc)
        assert sorted(p.name for p in outside.iterdir()) == ["secret.html"]
    finally:
        maps.unlink()
        if kept.exists():
            kept.rename(maps)


def test_deeply_nested_json_is_a_bad_request_and_files_run_sandboxed(shared):
    nested = b'{"a":' + b"[" * 2000 + b"]" * 2000 + b"}"
    assert request(shared, f"/{shared.token}/whatif", "POST", nested)[0] == 400
    assert "connect-src 'none'" in serve._FILE_CSP and "sandbox" in serve._FILE_CSP


def test_a_solve_stops_when_asked():
    import threading

    from ortools.sat.python import cp_model

    from geo.schedule import SolveStopped, run_solver
    from geo.schedule.cpsat import make_solver

    model = cp_model.CpModel()
    xs = [model.new_int_var(0, 100, f"x{i}") for i in range(20)]
    model.add(sum(xs) <= 500)
    model.maximize(sum((i % 13 + 1) * x for i, x in enumerate(xs)))
    stop = threading.Event()
    stop.set()
    with pytest.raises(SolveStopped):
        run_solver(make_solver(1000.0, None), model, stop)
