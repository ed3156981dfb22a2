/* 社会治理一张图: Plotly "map" traces on a tile-free base (the county's own polygons), cases aggregated
   on the server by town / village / grid / square cell according to the zoom. No inline script (CSP):
   configuration comes from the json_script block "atlas-config". */
(function () {
  "use strict";
  var COLOURS = { green: "#1e7b34", yellow: "#e0a800", red: "#d92d20",
                  "1": "#1570ef", "2": "#e0a800", "3": "#f79009", "4": "#d92d20" };
  var RESOURCE_COLOURS = { mediator_base: "#7a5af8", mediation_room: "#0e9384", centre: "#1d2939", other: "#667085" };

  // A plain dark background for the big screen (a MapLibre style with no source: nothing is fetched).
  var DARK_STYLE = { version: 8, sources: {}, layers: [{ id: "background", type: "background", paint: { "background-color": "#0b1530" } }] };
  // The density layer is drawn from one level finer than the discs (a smoother surface).
  var FINER = { town: "grid", village: "grid", grid: "cell", cell: "cell" };
  function levelForZoom(z) { return z < 10.8 ? "town" : z < 12.0 ? "village" : z < 13.5 ? "grid" : "cell"; }
  function boundaryLevel(level) { return level === "cell" ? "grid" : level; }

  function fitZoom(box, el) {
    var w = el.clientWidth || 800, h = el.clientHeight || 500;
    var dlon = Math.max(box[2] - box[0], 0.001), dlat = Math.max(box[3] - box[1], 0.001);
    var zx = Math.log2(w * 360 / (512 * dlon));
    var zy = Math.log2(h * 360 / (512 * dlat * 1.15));
    return Math.max(1, Math.min(zx, zy) - 0.15);
  }

  function bboxOf(center, zoom, el) {
    var span = 360 / (512 * Math.pow(2, zoom));
    var w = (el.clientWidth || 800) * span / 2, h = (el.clientHeight || 500) * span / 2;
    return [center.lon - w, center.lat - h, center.lon + w, center.lat + h];
  }

  function esc(s) { var d = document.createElement("div"); d.textContent = s == null ? "" : String(s); return d.innerHTML; }

  window.FengqiaoMap = function (el, cfg, opts) {
    opts = opts || {};
    var state = { heat: null, level: null, zoom: null, center: null, boundaries: {}, buckets: null, resources: [], timer: null, seq: 0 };
    var filtersOf = opts.filters || function () { return new URLSearchParams(); };
    var status = opts.status || function () {};
    var box = cfg.box || [120.4, 28.6, 121.0, 29.0];
    state.center = { lon: (box[0] + box[2]) / 2, lat: (box[1] + box[3]) / 2 };
    state.zoom = fitZoom(box, el);

    function layoutMap() {
      var layers = [];
      if (cfg.tiles) {
        layers.push({ sourcetype: "raster", source: [cfg.tiles], below: "traces", sourceattribution: cfg.tiles_attribution || "" });
      }
      if (state.boundaries.town) {
        layers.push({ sourcetype: "geojson", source: state.boundaries.town, type: "line",
                      color: opts.dark ? "#7dd3fc" : "#0b5394", line: { width: 2 } });
      }
      return {
        margin: { l: 0, r: 0, t: 0, b: 0 }, showlegend: true,
        paper_bgcolor: opts.dark ? "#0b1530" : "#eef2f6",
        font: { family: "Noto Sans CJK SC, WenQuanYi Zen Hei, sans-serif", color: opts.dark ? "#e6f0ff" : "#1f2933", size: opts.fontSize || 13 },
        legend: { orientation: "h", x: 0.01, y: 0.01, yanchor: "bottom", bgcolor: opts.dark ? "rgba(11,21,48,.8)" : "rgba(255,255,255,.85)" },
        map: { style: opts.dark ? DARK_STYLE : "white-bg", center: state.center, zoom: state.zoom, layers: layers }
      };
    }

    function traces() {
      var out = [];
      var lvl = boundaryLevel(state.level || "town");
      var fc = state.boundaries[lvl];
      if (fc && fc.features.length) {
        out.push({ type: "choroplethmap", geojson: fc, locations: fc.features.map(function (f) { return f.id; }),
          z: fc.features.map(function () { return 1; }), text: fc.features.map(function (f) { return f.properties.name; }),
          colorscale: [[0, opts.dark ? "#13244d" : "#f8fbff"], [1, opts.dark ? "#13244d" : "#f8fbff"]], showscale: false,
          marker: { line: { color: opts.dark ? "#3b5b99" : "#98a2b3", width: 1 }, opacity: 0.9 },
          hovertemplate: "%{text}<extra></extra>", name: cfg.levels[lvl] || "", showlegend: false,
          customdata: fc.features.map(function (f) { return { kind: "area", id: f.id }; }) });
      }
      var b = state.buckets;
      var showCases = !opts.layerOn || opts.layerOn("cases");
      var showHeat = opts.layerOn && opts.layerOn("heat");
      var h = state.heat;
      if (h && showHeat && h.buckets.length) {
        out.push({ type: "densitymap", lon: h.buckets.map(function (x) { return x.lon; }), lat: h.buckets.map(function (x) { return x.lat; }),
          z: h.buckets.map(function (x) { return x.n; }), radius: opts.heatRadius || 28, showscale: false, opacity: 0.75, name: cfg.text.heat,
          colorscale: [[0, "rgba(255,255,178,0)"], [0.25, "#fecc5c"], [0.6, "#fd8d3c"], [1, "#e31a1c"]], hoverinfo: "skip" });
      }
      if (b && showCases) {
        // Concentric discs per bucket: the outer disc is every case, each inner disc the cases of
        // that colour or a more severe one (red innermost), so a bucket shows its mix at a glance.
        var labels = {}; b.legend.forEach(function (l) { labels[l.key] = l.label; });
        var severe = b.legend.map(function (l) { return l.key; });
        if (b.colour_by !== "level") { severe = severe.slice().reverse(); }  // red, yellow, green → most severe first
        var top = Math.max.apply(null, b.buckets.map(function (x) { return x.n; }).concat([1]));
        function size(n) { return 8 + 46 * Math.sqrt(n / top); }
        var mild = severe.slice().reverse();
        mild.forEach(function (key, i) {
          var keys = severe.slice(0, severe.length - i);  // this colour and every more severe one
          var pts = b.buckets.map(function (x) {
            var n = keys.reduce(function (a, k) { return a + (x.counts[k] || 0); }, 0);
            return { x: x, n: n };
          }).filter(function (p) { return p.n > 0; });
          if (!pts.length) { return; }
          out.push({ type: "scattermap", mode: "markers", name: labels[key] || key,
            lon: pts.map(function (p) { return p.x.lon; }), lat: pts.map(function (p) { return p.x.lat; }),
            marker: { size: pts.map(function (p) { return size(p.n); }), color: COLOURS[key] || "#667085", opacity: 0.9 },
            text: pts.map(function (p) {
              var x = p.x;
              var parts = severe.filter(function (k) { return x.counts[k]; }).map(function (k) { return (labels[k] || k) + " " + x.counts[k]; });
              return (x.name ? x.name + "<br>" : "") + cfg.text.cases + " " + x.n + "<br>" + parts.join(" · ");
            }),
            hovertemplate: "%{text}<extra></extra>",
            customdata: pts.map(function (p) { return p.x.cell ? { kind: "cell", cell: p.x.cell } : { kind: "area", id: p.x.unit }; }) });
        });
      }
      var showRes = !opts.layerOn || opts.layerOn("resources");
      if (showRes && state.resources.length) {
        var kinds = {};
        state.resources.forEach(function (r) { (kinds[r.kind] = kinds[r.kind] || []).push(r); });
        Object.keys(kinds).forEach(function (k) {
          var pts = kinds[k];
          out.push({ type: "scattermap", mode: "markers", name: pts[0].kind_label,
            lon: pts.map(function (r) { return r.lon; }), lat: pts.map(function (r) { return r.lat; }),
            marker: { size: 11, color: opts.dark && k === "centre" ? "#e2e8f0" : RESOURCE_COLOURS[k] || "#667085" },
            text: pts.map(function (r) { return r.kind_label + "：" + r.name; }), hovertemplate: "%{text}<extra></extra>" });
        });
      }
      (window.FengqiaoMapLayers || []).forEach(function (layer) { out = out.concat(layer.traces(state, opts) || []); });  // layers of later apps (core/panels.py)
      return out;
    }

    function draw() { return Plotly.react(el, traces(), layoutMap(), { responsive: true, displaylogo: false, scrollZoom: true }); }
    el.fengqiaoRedraw = draw;

    function getJSON(url) {
      return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
        if (!r.ok) { throw new Error(r.status); }
        return r.json();
      });
    }

    function loadBoundaries(level) {
      if (state.boundaries[level]) { return Promise.resolve(); }
      return getJSON(cfg.urls.boundaries.replace("LEVEL", level)).then(function (fc) { state.boundaries[level] = fc; });
    }

    function load() {
      var seq = ++state.seq;
      var level = levelForZoom(state.zoom);
      var p = filtersOf();
      p.set("zoom", state.zoom.toFixed(2));
      p.set("level", level);
      p.set("bbox", bboxOf(state.center, state.zoom, el).map(function (v) { return v.toFixed(5); }).join(","));
      status(cfg.text.loading);
      var wantHeat = opts.layerOn && opts.layerOn("heat");
      var hp = new URLSearchParams(p.toString());
      hp.set("level", FINER[level]);
      var heat = wantHeat ? getJSON(cfg.urls.cases + "?" + hp.toString()) : Promise.resolve(null);
      return Promise.all([loadBoundaries("town"), loadBoundaries(boundaryLevel(level)), getJSON(cfg.urls.cases + "?" + p.toString()), heat])
        .then(function (res) {
          if (seq !== state.seq) { return; }
          state.level = level; state.buckets = res[2]; state.heat = res[3];
          status(cfg.levels[level] + " · " + cfg.text.cases + " " + res[2].total + (res[2].unplaced ? " · " + cfg.text.unplaced + " " + res[2].unplaced : "") +
            (res[2].data_updated ? " · " + cfg.text.rollup + " " + res[2].data_updated : ""));
          return draw();
        })
        .catch(function () { status(cfg.text.failed); });
    }

    function loadResources() {
      if (opts.noResources) { return Promise.resolve(); }
      return getJSON(cfg.urls.resources).then(function (d) { state.resources = d.points; }).catch(function () {});
    }

    draw().then(function () {
      el.on("plotly_relayout", function (ev) {
        if (ev["map.zoom"] === undefined && ev["map.center"] === undefined) { return; }
        if (ev["map.zoom"] !== undefined) { state.zoom = ev["map.zoom"]; }
        if (ev["map.center"] !== undefined) { state.center = ev["map.center"]; }
        clearTimeout(state.timer);
        state.timer = setTimeout(load, 350);
      });
      el.on("plotly_click", function (ev) {
        var pt = ev.points && ev.points[0];
        if (pt && pt.customdata && opts.onPick) { opts.onPick(pt.customdata); }
      });
      loadResources().then(load);
    });
    return { reload: load, redraw: draw, getJSON: getJSON, state: state };
  };

  function filterParams(form) {
    var p = new URLSearchParams();
    new FormData(form).forEach(function (v, k) { if (v !== "") { p.set(k, v); } });
    return p;
  }

  function initPage() {
    var el = document.getElementById("atlas-map");
    var cfgEl = document.getElementById("atlas-config");
    if (!el || !cfgEl || !window.Plotly) { return; }
    var form = document.getElementById("atlas-form");
    if (!form) { return; }  // the big screen draws its own map (dashboard.js); this is the map page's
    var cfg = JSON.parse(cfgEl.textContent);
    var side = document.getElementById("side-body");
    var title = document.getElementById("side-title");
    var statusEl = document.getElementById("atlas-status");
    var layers = { cases: "layer-cases", heat: "layer-heat", resources: "layer-resources" };
    var map;

    function showArea(id) {
      map.getJSON(cfg.urls.area.replace("/0/", "/" + id + "/") + "?" + filterParams(form).toString()).then(function (d) {
        title.textContent = d.name;
        var html = '<div class="fig-grid">' + d.figures.map(function (f) {
          return '<div class="fig"><b>' + esc(f.value) + "</b><span>" + esc(f.label) + "</span></div>";
        }).join("") + "</div>";
        if (d.satisfaction_rate !== null) { html += "<p>" + esc(cfg.text.satisfaction) + "：" + esc(d.satisfaction_rate) + "%</p>"; }
        if (d.types.length) {
          html += "<p><strong>" + esc(cfg.text.types) + "</strong></p><ul class=\"cell-cases\">" +
            d.types.map(function (t) { return "<li>" + esc(t.label) + " · " + esc(t.n) + "</li>"; }).join("") + "</ul>";
        }
        side.innerHTML = html;
      }).catch(function () { statusEl.textContent = cfg.text.failed; });
    }

    function showCell(cell) {
      var p = filterParams(form); p.set("cx", cell[0]); p.set("cy", cell[1]); p.set("size", cell[2]);
      map.getJSON(cfg.urls.cell + "?" + p.toString()).then(function (d) {
        title.textContent = cfg.levels.cell;
        side.innerHTML = d.cases.length ? '<ul class="cell-cases">' + d.cases.map(function (c) {
          return '<li><a href="' + esc(c.url) + '">' + esc(c.code) + "</a> " + esc(c.type) + " · " + esc(c.state) + " · " + esc(c.colour) + " · " + esc(c.date) + "</li>";
        }).join("") + "</ul>" : "<p>" + esc(cfg.text.none) + "</p>";
      });
    }

    map = window.FengqiaoMap(el, cfg, {
      filters: function () { return filterParams(form); },
      status: function (t) { statusEl.textContent = t; },
      layerOn: function (k) { var c = document.getElementById(layers[k]); return c ? c.checked : true; },
      onPick: function (d) { if (d.kind === "area" && d.id) { showArea(d.id); } else if (d.kind === "cell") { showCell(d.cell); } }
    });
    form.addEventListener("change", function (ev) {
      var range = form.querySelector(".af-range");
      if (range) { range.hidden = form.elements.period.value !== "range"; }
      if (ev.target.id === "layer-cases" || ev.target.id === "layer-resources") { map.redraw(); return; }
      map.reload();
    });
    form.addEventListener("submit", function (ev) { ev.preventDefault(); map.reload(); });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", initPage); } else { initPage(); }
})();
