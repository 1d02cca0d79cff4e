/* landplan serve: the workbench beside the phase map. Loaded only by pages that `landplan serve` serves.

   landplanServe.attach(app, control)  on the served phase map (called last by the page): adds the workbench
                                       sidebar, follows the server's events and swaps each new plan state into
                                       the map in place (no reload), keeping the month, the colouring, the chosen
                                       zone, the layers switched on and the view
   landplanServe.wait()                on the page shown while the plan has no good run: the sidebar alone; it
                                       loads the map once the plan validates and solves

   The server sends its state ('state' events on the relative URL 'events': status, the good version's hash,
   headline figures, problems, task names); a hash other than the map's own means a new plan state, fetched from
   'payload' and handed to a new L.Landplan app on the same map. A plan that stops validating leaves the map as it
   was and lists its problems (file:line:col, what, the fix). The what-if form asks 'whatif' what a delay moves;
   the write buttons ask 'write' for the map, the GeoPackage export or the atlas in maps/.

   Every text from plans, layers or the server reaches the page as textContent, never as HTML. The page's URL
   holds the token; every request here is relative to it. */
(function () {
  'use strict';

  var S = window.landplanServe = {app: null, control: null, state: null, states: 0, updates: 0, reloads: 0};
  var STORE = 'landplan-serve-view';
  var WIDTH = 380;  /* px: the sidebar */
  var MOVED_SHOWN = 40;  /* most moved tasks listed by a what-if */
  var CSS = [
    /* the map leaves the sidebar its room from the start, so it fits the plan's zones to the room it has */
    '.folium-map { width: calc(100% - ' + WIDTH + 'px) !important; }',
    '.lp-serve { position: fixed; top: 0; right: 0; bottom: 0; width: ' + WIDTH + 'px; overflow-y: auto;',
    '  box-sizing: border-box; padding: 10px 12px; font: 12px/1.4 sans-serif; background: #fafafa;',
    '  border-left: 1px solid #ccc; z-index: 1100; }',
    '.lp-serve h2 { font-size: 13px; margin: 10px 0 4px; }',
    '.lp-serve-status { font-weight: bold; padding: 4px 6px; border-radius: 4px; background: #e8f0e8; }',
    '.lp-serve-status[data-status="solving"] { background: #fff4d6; }',
    '.lp-serve-status[data-status="invalid"], .lp-serve-status[data-status="offline"] { background: #fde2e1; }',
    '.lp-serve table { border-collapse: collapse; width: 100%; }',
    '.lp-serve th { text-align: left; font-weight: normal; color: #555; padding: 1px 6px 1px 0; vertical-align: top; }',
    '.lp-serve td { font-variant-numeric: tabular-nums; vertical-align: top; }',
    '.lp-serve-errors { border: 1px solid #d33; background: #fff5f5; padding: 4px 6px; margin-top: 6px; }',
    '.lp-serve-errors ul { margin: 4px 0; padding-left: 16px; }',
    '.lp-serve-where { font-family: monospace; font-weight: bold; }',
    '.lp-serve-fix { color: #135; }',
    '.lp-serve input[type=text] { width: 220px; } .lp-serve input[type=number] { width: 56px; }',
    '.lp-serve button { margin: 2px 4px 2px 0; cursor: pointer; }',
    '.lp-serve-note { color: #666; }',
    '.lp-serve-result { margin-top: 6px; }',
    '.lp-serve-data { unicode-bidi: isolate; }'
  ].join('\n');

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  /* text from a plan or the server: its own direction, isolated from the text around it */
  function dataEl(tag, cls, text) {
    var e = el(tag, cls ? cls + ' lp-serve-data' : 'lp-serve-data', text);
    e.dir = 'auto';
    return e;
  }

  function num(v) { return typeof v === 'number' ? v.toLocaleString('en') : String(v); }

  function signed(v) { return (v > 0 ? '+' : '') + num(v); }

  function row(table, label, value) {
    var tr = el('tr');
    tr.appendChild(el('th', null, label));
    tr.appendChild(dataEl('td', null, value));
    table.appendChild(tr);
  }

  /* POST a JSON object to a path relative to the page; resolves to {ok, status, body} */
  function post(path, body) {
    return fetch(path, {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify(body),
      cache: 'no-store'}).then(function (r) {
      return r.json().then(function (j) { return {ok: r.ok, status: r.status, body: j}; },
        function () { return {ok: false, status: r.status, body: {error: 'HTTP ' + r.status}}; });
    });
  }

  /* ---- the sidebar ----------------------------------------------------------------------------------------- */

  var ui = {};

  function sidebar() {
    var box = el('div', 'lp-serve');
    box.id = 'lp-serve';
    box.appendChild(el('div', 'lp-serve-title', 'landplan workbench'));
    ui.status = el('div', 'lp-serve-status', 'connecting');
    ui.status.id = 'lp-serve-status';
    box.appendChild(ui.status);
    box.appendChild(el('h2', null, 'the plan on the map'));
    ui.headline = el('table', 'lp-serve-headline');
    ui.headline.id = 'lp-serve-headline';
    box.appendChild(ui.headline);
    ui.errors = el('div', 'lp-serve-errors');
    ui.errors.id = 'lp-serve-errors';
    ui.errors.hidden = true;
    box.appendChild(ui.errors);
    box.appendChild(whatIfForm());
    box.appendChild(writeButtons());
    document.body.appendChild(box);
    return box;
  }

  var STATUS = {
    ready: 'up to date',
    solving: 'validating and solving the saved plan\u2026',
    invalid: 'the plan does not validate: the map shows its last good version',
    offline: 'the server is not answering (is landplan serve still running?)'
  };

  function showStatus(status, file) {
    ui.status.setAttribute('data-status', status);
    ui.status.textContent = '';
    ui.status.appendChild(dataEl('span', null, file || ''));
    ui.status.appendChild(document.createTextNode(': ' + (STATUS[status] || status)));
  }

  function showHeadline(h) {
    ui.headline.textContent = '';
    if (!h) return;
    row(ui.headline, 'plan', h.plan);
    row(ui.headline, 'solver', h.status);
    row(ui.headline, 'last step ends', 'month ' + num(h.makespan));
    row(ui.headline, 'objective', h.objective);
    row(ui.headline, 'size', num(h.zones) + ' zones, ' + num(h.tasks) + ' tasks, horizon ' + num(h.horizon));
    row(ui.headline, 'solved in', num(h.seconds) + ' s' + (h.cached ? ' (schedule from the cache)' : ''));
  }

  function showErrors(errors) {
    ui.errors.textContent = '';
    ui.errors.hidden = !errors.length;
    if (!errors.length) return;
    ui.errors.appendChild(el('div', 'lp-serve-errors-title',
      errors.length + (errors.length === 1 ? ' problem' : ' problems') + ' in the saved plan:'));
    var list = el('ul');
    errors.forEach(function (e) {
      var li = el('li');
      if (e.where) { li.appendChild(dataEl('span', 'lp-serve-where', e.where)); li.appendChild(document.createTextNode(': ')); }
      li.appendChild(dataEl('span', 'lp-serve-message', e.message));
      if (e.fix) {
        li.appendChild(document.createTextNode('. '));
        var fix = el('span', 'lp-serve-fix', 'Fix: ');
        fix.appendChild(dataEl('span', null, e.fix));
        li.appendChild(fix);
      }
      list.appendChild(li);
    });
    ui.errors.appendChild(list);
  }

  function showTasks(tasks) {
    if (!ui.tasks || ui.tasks.childNodes.length === tasks.length) return;
    ui.tasks.textContent = '';
    tasks.forEach(function (t) { var o = el('option'); o.value = t; ui.tasks.appendChild(o); });
  }

  function render(st) {
    showStatus(st.status, st.file);
    showHeadline(st.headline);
    showErrors(st.errors || []);
    showTasks(st.tasks || []);
  }

  /* ---- what-if ------------------------------------------------------------------------------------------- */

  function whatIfForm() {
    var box = el('div', 'lp-serve-whatif');
    box.appendChild(el('h2', null, 'what if a task or gate slips'));
    var form = el('form');
    ui.task = el('input');
    ui.task.type = 'text'; ui.task.name = 'task'; ui.task.placeholder = 'task or gate, e.g. gate security-review';
    ui.task.setAttribute('list', 'lp-serve-tasks');
    ui.tasks = el('datalist'); ui.tasks.id = 'lp-serve-tasks';
    ui.months = el('input');
    ui.months.type = 'number'; ui.months.name = 'months'; ui.months.min = '0'; ui.months.value = '3';
    var go = el('button', null, 'delay');
    go.type = 'submit';
    form.appendChild(ui.task); form.appendChild(ui.tasks);
    form.appendChild(document.createTextNode(' by ')); form.appendChild(ui.months);
    form.appendChild(document.createTextNode(' months ')); form.appendChild(go);
    ui.whatIf = el('div', 'lp-serve-result');
    ui.whatIf.id = 'lp-serve-whatif';
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      ui.whatIf.textContent = 'solving\u2026';
      post('whatif', {task: ui.task.value, months: parseInt(ui.months.value, 10) || 0}).then(showWhatIf,
        function () { showWhatIf({ok: false, body: {error: STATUS.offline}}); });
    });
    box.appendChild(form);
    box.appendChild(ui.whatIf);
    return box;
  }

  function showWhatIf(res) {
    var box = ui.whatIf, w = res.body;
    box.textContent = '';
    if (!res.ok) { box.appendChild(dataEl('div', 'lp-serve-errors', w.error)); return; }
    var head = el('div', null, 'if ');
    head.appendChild(dataEl('span', 'lp-serve-where', w.delay));
    head.appendChild(document.createTextNode(' slips ' + w.months + ' months: ' + w.moved.length +
      (w.moved.length === 1 ? ' task moves' : ' tasks move') + '; the last step ends month ' +
      w.makespan.before + ' before, ' + w.makespan.after + ' after'));
    box.appendChild(head);
    var list = el('ul');
    w.moved.slice(0, MOVED_SHOWN).forEach(function (m) {
      var li = el('li');
      li.appendChild(dataEl('span', null, m.task));
      li.appendChild(document.createTextNode(': month ' + m.from + ' \u2192 ' + m.to));
      list.appendChild(li);
    });
    if (w.moved.length > MOVED_SHOWN) list.appendChild(el('li', null, 'and ' + (w.moved.length - MOVED_SHOWN) + ' more'));
    box.appendChild(list);
    var changed = w.metrics.filter(function (r) { return r.change !== 0; });
    if (!changed.length) {
      box.appendChild(el('div', null, 'key metrics at months ' + w.at_months.join(', ') + ': no change'));
      return;
    }
    box.appendChild(el('div', null, 'key metrics that change (months ' + w.at_months.join(', ') + '):'));
    var t = el('table', 'lp-serve-changes'), tr = el('tr');
    ['month', 'metric', 'before', 'after', 'change'].forEach(function (h) { tr.appendChild(el('th', null, h)); });
    t.appendChild(tr);
    changed.forEach(function (r) {
      var line = el('tr');
      line.appendChild(el('td', null, r.month));
      line.appendChild(dataEl('td', null, r.metric + (r.unit ? ' [' + r.unit + ']' : '')));
      line.appendChild(el('td', null, num(r.before)));
      line.appendChild(el('td', null, num(r.after)));
      line.appendChild(el('td', null, signed(r.change)));
      t.appendChild(line);
    });
    box.appendChild(t);
  }

  /* ---- writing outputs ----------------------------------------------------------------------------------- */

  function writeButtons() {
    var box = el('div', 'lp-serve-write');
    box.appendChild(el('h2', null, 'write the plan shown to maps/'));
    ui.written = el('div', 'lp-serve-result');
    ui.written.id = 'lp-serve-written';
    [['map', 'map (HTML)'], ['export', 'export (GeoPackage)'], ['atlas', 'atlas (PDF)']].forEach(function (k) {
      var b = el('button', null, k[1]);
      b.type = 'button';
      b.setAttribute('data-write', k[0]);
      b.addEventListener('click', function () {
        b.disabled = true;
        ui.written.textContent = 'writing ' + k[1] + '\u2026';
        post('write', {what: k[0]}).then(function (res) {
          b.disabled = false;
          showWritten(res);
        }, function () { b.disabled = false; showWritten({ok: false, body: {error: STATUS.offline}}); });
      });
      box.appendChild(b);
    });
    box.appendChild(ui.written);
    return box;
  }

  function showWritten(res) {
    ui.written.textContent = '';
    if (!res.ok) { ui.written.appendChild(dataEl('div', 'lp-serve-errors', res.body.error)); return; }
    ui.written.appendChild(document.createTextNode('wrote '));
    var a = dataEl('a', null, res.body.written);
    a.href = res.body.href;
    a.target = '_blank';
    a.rel = 'noopener noreferrer';
    ui.written.appendChild(a);
  }

  /* ---- following the server ------------------------------------------------------------------------------ */

  function connect(onState) {
    var source = new EventSource('events');
    source.addEventListener('state', function (e) {
      var st = JSON.parse(e.data);
      S.state = st;
      S.states += 1;
      render(st);
      onState(st);
    });
    source.onerror = function () { showStatus('offline', S.state ? S.state.file : ''); };
    S.source = source;
  }

  /* the month, colouring and view, kept over a reload (a plan that gains, loses or changes its border) */
  function keep() {
    var app = S.app, c = app.map.getCenter();
    try {
      sessionStorage.setItem(STORE, JSON.stringify({month: app.month, mode: app.mode, center: [c.lat, c.lng],
        zoom: app.map.getZoom()}));
    } catch (e) { /* no storage: the reloaded map starts at month 0 */ }
  }

  function restore(app) {
    var kept = null;
    try {
      kept = JSON.parse(sessionStorage.getItem(STORE) || 'null');
      sessionStorage.removeItem(STORE);
    } catch (e) { kept = null; }
    if (!kept) return;
    app.map.setView(kept.center, kept.zoom, {animate: false});
    app.setMode(kept.mode);
    app.setMonth(kept.month);
  }

  function borderName(data) { return data.border ? data.border.name : null; }

  /* the payload key of one of the old app's layers, or null (a layer that is not the app's: the online tiles) */
  function keyOf(app, layer) {
    for (var k in app.layers) if (app.layers[k] === layer) return k;
    return null;
  }

  /* a new app on the same map, with the old one's month, colouring, chosen zone and layers switched on */
  function swap(data) {
    var old = S.app, map = old.map, ctl = S.control;
    if (borderName(old.data) !== borderName(data)) { keep(); S.reloads += 1; location.reload(); return; }
    var chosen = old.selected !== null ? old.data.zones.id[old.selected] : null;
    /* the layer control's entries in order; Leaflet 1.9 keeps them in _layers ({layer, name, overlay}) */
    var entries = ctl._layers.slice().map(function (e) {
      return {key: keyOf(old, e.layer), layer: e.layer, name: e.name, overlay: e.overlay, on: map.hasLayer(e.layer)};
    });
    map.closePopup();
    entries.forEach(function (e) { ctl.removeLayer(e.layer); });
    Object.keys(old.layers).forEach(function (k) { map.removeLayer(old.layers[k]); });
    Object.keys(old.controls).forEach(function (k) { old.controls[k].remove(); });
    old.stop();  /* the old app stops answering keys, the address and the map, and can be let go */
    var lang = old.language();  /* read before the new app takes the page's language from its payload */
    var app = L.landplan(map, data);
    if (data.border && L.landplanBorder) L.landplanBorder(app);
    entries.forEach(function (e) {
      var layer = e.key !== null ? app.layers[e.key] : e.layer;
      if (!layer) return;
      if (e.overlay) ctl.addOverlay(layer, e.name); else ctl.addBaseLayer(layer, e.name);
      if (e.on && e.key !== null) layer.addTo(map);
    });
    app.setLanguage(lang);
    app.start(ctl);
    app.setMode(old.mode);
    app.setMonth(old.month);
    var index = chosen !== null ? data.zones.id.indexOf(chosen) : -1;
    if (index >= 0) app.selectZone(index);
    S.app = window.landplan = app;
    S.updates += 1;
  }

  /* fetch the server's good state when it is not the one drawn; again if it changed meanwhile */
  function update() {
    if (S.loading) return;
    S.loading = true;
    fetch('payload', {cache: 'no-store'}).then(function (r) { return r.ok ? r.json() : null; }).then(function (doc) {
      S.loading = false;
      if (doc && doc.payload.meta.hash !== S.app.data.meta.hash) swap(doc.payload);
      var st = S.state;
      if (st && st.hash && st.hash !== S.app.data.meta.hash && doc && doc.payload.meta.hash !== st.hash) update();
    }, function () { S.loading = false; });
  }

  S.attach = function (app, control) {
    S.app = app;
    S.control = control;
    sidebar();
    restore(app);
    connect(function (st) {
      if (st.hash && st.hash !== S.app.data.meta.hash) update();
    });
  };

  var style = el('style');
  style.textContent = CSS;
  document.head.appendChild(style);

  S.wait = function () {
    document.body.textContent = '';
    sidebar().style.width = '100%';
    connect(function (st) {
      if (st.hash) { S.reloads += 1; location.reload(); }
    });
  };
})();
