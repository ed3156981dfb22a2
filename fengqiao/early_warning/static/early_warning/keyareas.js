/* Key-area layer on the map page: towns with open area warnings, shaded by their highest level.
   Registered through window.FengqiaoMapLayers (atlas/static/atlas/map.js draws every registered layer). */
(function () {
  "use strict";
  var COLOURS = { 1: "#2563eb", 2: "#eab308", 3: "#f97316", 4: "#dc2626" };
  var urlEl = document.getElementById("keyareas-url");
  var box = document.getElementById("layer-keyareas");
  if (!urlEl) { return; }
  var areas = [];
  window.FengqiaoMapLayers = window.FengqiaoMapLayers || [];
  window.FengqiaoMapLayers.push({
    traces: function (state) {
      var fc = state.boundaries.town;
      if (!fc || !areas.length || (box && !box.checked)) { return []; }
      var byId = {};
      areas.forEach(function (a) { byId[a.id] = a; });
      var feats = fc.features.filter(function (f) { return byId[f.id]; });
      if (!feats.length) { return []; }
      return [{
        type: "choroplethmap", name: areas.label || "",
        geojson: { type: "FeatureCollection", features: feats },
        locations: feats.map(function (f) { return f.id; }),
        z: feats.map(function (f) { return byId[f.id].level; }), zmin: 1, zmax: 4,
        colorscale: [[0, COLOURS[1]], [0.34, COLOURS[2]], [0.67, COLOURS[3]], [1, COLOURS[4]]],
        showscale: false, marker: { opacity: 0.45, line: { color: "#7f1d1d", width: 2 } },
        text: feats.map(function (f) { var a = byId[f.id]; return a.name + " · " + a.level_label + " · " + a.titles.join("；"); }),
        hovertemplate: "%{text}<extra></extra>"
      }];
    }
  });
  function redraw() {
    var el = document.getElementById("atlas-map");
    if (el && el.fengqiaoRedraw) { el.fengqiaoRedraw(); }
  }
  fetch(JSON.parse(urlEl.textContent), { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (r) { return r.ok ? r.json() : { areas: [] }; })
    .then(function (d) { areas = d.areas || []; areas.label = d.label || ""; redraw(); })
    .catch(function () {});
  if (box) { box.addEventListener("change", redraw); }
})();
