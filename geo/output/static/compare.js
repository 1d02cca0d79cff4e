/* landplan comparison page: one month slider drives the phase maps of plans A and B, and moving or zooming
   one map moves the other. Each map lives in its own frame; this script uses only each map's public API
   (ready, month, map, setMonth and the 'monthchange' and 'ready' events) and exposes the same shape itself
   as window.landplanCompare. */
(function () {
  'use strict';

  var frames = [document.getElementById('lp-a'), document.getElementById('lp-b')];
  var slider = document.getElementById('lp-month'), label = document.getElementById('lp-label');
  var apps = [null, null];
  var driving = false;  /* true while this page sets the maps' month: their own changes are not echoed back */
  var moving = false;   /* true while one map's view is copied to the other */

  var page = {month: 0, ready: null, setMonth: setMonth};
  window.landplanCompare = page;

  function setMonth(m) {
    m = Math.max(0, Math.min(+slider.max, m | 0));
    page.month = m;
    slider.value = String(m);
    label.textContent = 'month ' + m;
    driving = true;
    try {
      apps.forEach(function (a) { if (a && a.month !== m) a.setMonth(m); });
    } finally {
      driving = false;
    }
    return page;
  }

  function follow(e) { if (!driving) setMonth(e.month); }

  function mirror(k) {
    var me = apps[k].map, other = apps[1 - k] && apps[1 - k].map;
    if (moving || !other) return;
    moving = true;
    try {
      other.setView(me.getCenter(), me.getZoom(), {animate: false});
    } finally {
      moving = false;
    }
  }

  function attach(k, app) {
    if (apps[k]) return;
    apps[k] = app;
    app.on('monthchange', follow);
    app.map.on('moveend', function () { mirror(k); });
    if (apps[0] && apps[1]) {
      setMonth(0);
      page.ready = performance.now();
    }
  }

  function watch(k) {
    var frame = frames[k];
    function check() {
      var app = frame.contentWindow && frame.contentWindow.landplan;
      if (!app || apps[k]) return;
      if (app.ready !== null) attach(k, app);
      else app.once('ready', function () { attach(k, app); });
    }
    frame.addEventListener('load', check);
    check();
  }

  slider.addEventListener('input', function () { setMonth(+slider.value); });
  watch(0);
  watch(1);
})();
