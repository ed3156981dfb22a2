/* Big screen: fetch the figures every 45 s and update in place (no reload). */
(function () {
  "use strict";
  var PALETTE = ["#38bdf8", "#34d399", "#fbbf24", "#f472b6", "#a78bfa", "#fb923c", "#60a5fa", "#4ade80"];
  var COLOUR = { green: "#22c55e", yellow: "#eab308", red: "#ef4444" };
  var TEXT = {};

  function small() { return window.matchMedia("(max-width: 900px)").matches; }
  function font() { return { family: "Noto Sans CJK SC, WenQuanYi Zen Hei, sans-serif", color: "#e6f0ff", size: small() ? 13 : 17 }; }
  function base(extra) {
    var l = { paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)", font: font(),
      margin: { l: 10, r: 14, t: 6, b: 28 }, showlegend: false,
      xaxis: { gridcolor: "rgba(125,211,252,.15)", zeroline: false, automargin: true },
      yaxis: { gridcolor: "rgba(125,211,252,.15)", zeroline: false, automargin: true } };
    Object.keys(extra || {}).forEach(function (k) { l[k] = extra[k]; });
    return l;
  }
  var CFG = { displayModeBar: false, responsive: true, staticPlot: false };

  function el(tag, cls, text) { var e = document.createElement(tag); if (cls) { e.className = cls; } if (text !== undefined) { e.textContent = text; } return e; }
  function pct(v) { return v === null || v === undefined ? "—" : v + "%"; }

  function bars(id, rows, top) {
    rows = rows.slice(0, top || 8).reverse();
    Plotly.react(id, [{ type: "bar", orientation: "h", y: rows.map(function (r) { return r.label; }), x: rows.map(function (r) { return r.n; }),
      marker: { color: rows.map(function (_r, i) { return PALETTE[(rows.length - 1 - i) % PALETTE.length]; }) },
      text: rows.map(function (r) { return r.n; }), textposition: "outside", cliponaxis: false, hovertemplate: "%{y}：%{x}<extra></extra>" }],
      base({ margin: { l: 10, r: 40, t: 4, b: 4 }, xaxis: { visible: false }, yaxis: { automargin: true, tickfont: { size: small() ? 12 : 16 } } }), CFG);
  }

  function periods(data) {
    var box = document.getElementById("k-periods");
    box.textContent = "";
    data.periods.forEach(function (p) {
      var card = el("div", "k-period");
      card.appendChild(el("h3", "", p.label));
      var row = el("div", "k-row");
      [["registered", p.registered, ""], ["resolved", p.resolved, ""], ["local_rate", pct(p.local_rate), "local_rate"],
       ["satisfaction_rate", pct(p.satisfaction_rate), "satisfaction_rate"]].forEach(function (c) {
        var cell = el("div", "k-cell");
        var lab = el("span");
        if (c[2]) { var ab = el("abbr", "", TEXT[c[0]]); ab.title = data.formulas[c[2]]; lab.appendChild(ab); } else { lab.textContent = TEXT[c[0]]; }
        cell.appendChild(lab); cell.appendChild(el("b", "", String(c[1])));
        row.appendChild(cell);
      });
      card.appendChild(row); box.appendChild(card);
    });
  }

  function latest(rows) {
    var ul = document.getElementById("latest");
    ul.textContent = "";
    if (!rows.length) { ul.appendChild(el("li", "empty", TEXT.none)); ul.style.animation = "none"; return; }
    // Twice, so the upward scroll loops without a gap.
    rows.concat(rows).forEach(function (r) {
      var li = el("li");
      [r.when, r.place, r.type, r.result].forEach(function (t) { li.appendChild(el("span", "", t)); });
      ul.appendChild(li);
    });
    ul.style.animation = rows.length > 5 ? "" : "none";
  }

  function rankings(rows) {
    var ol = document.getElementById("rank-list");
    if (!ol) { return; }
    ol.textContent = "";
    (rows || []).forEach(function (r) {
      var li = el("li", r.own ? "own" : "");
      li.appendChild(el("span", "", (r.rank ? r.rank + ". " : "") + r.unit));
      var ch = r.change ? (r.change > 0 ? " ↑" + r.change : " ↓" + (-r.change)) : "";
      li.appendChild(el("span", "", String(r.score) + ch));
      ol.appendChild(li);
    });
    var own = ol.querySelector("li.own");  // a town's screen: its own row in view, not below the fold
    if (own) { ol.scrollTop = Math.max(0, own.offsetTop - ol.offsetTop - ol.clientHeight / 2); }
  }

  function render(data) {
    document.getElementById("k-open").textContent = data.open;
    document.getElementById("k-overdue").textContent = data.overdue;
    document.getElementById("s-updated").textContent = TEXT.updated + " " + data.generated +
      (data.fresh ? " · " + TEXT.rollup + " " + data.fresh : "");
    periods(data);
    var t = data.trend;
    var days = t.dates.map(function (d) { return d.slice(5); });
    Plotly.react("c-trend", [
      { type: "scatter", mode: "lines", name: TEXT.trend_reg, x: days, y: t.registered, line: { color: "#38bdf8", width: 3 } },
      { type: "scatter", mode: "lines", name: TEXT.trend_res, x: days, y: t.resolved, line: { color: "#34d399", width: 3 } }],
      base({ showlegend: true, legend: { orientation: "h", x: 0, y: 1.12 }, margin: { l: 10, r: 10, t: 20, b: 28 }, xaxis: { type: "category", nticks: 8, gridcolor: "rgba(125,211,252,.1)" } }), CFG);
    bars("c-type", data.by_type, 7);
    bars("c-channel", data.by_channel, 7);
    bars("c-place", data.by_place, 8);
    Plotly.react("c-colour", [{ type: "pie", hole: 0.55, automargin: true, labels: data.colours.map(function (c) { return c.label; }),
      values: data.colours.map(function (c) { return c.n; }), sort: false,
      marker: { colors: data.colours.map(function (c) { return COLOUR[c.key]; }), line: { color: "#0b1530", width: 2 } },
      textinfo: "label+value", textfont: { size: small() ? 14 : 19 }, hovertemplate: "%{label}：%{value}<extra></extra>" }],
      base({ margin: { l: 4, r: 4, t: 4, b: 4 } }), CFG);
    latest(data.latest);
    rankings(data.rankings);
  }

  function init() {
    var urlEl = document.getElementById("dash-url");
    if (!urlEl || !window.Plotly) { return; }
    var url = JSON.parse(urlEl.textContent);
    TEXT = JSON.parse(document.getElementById("dash-text").textContent);
    var map = null;
    var cfgEl = document.getElementById("atlas-config");
    var mapEl = document.getElementById("atlas-map");
    if (cfgEl && mapEl && window.FengqiaoMap) {
      map = window.FengqiaoMap(mapEl, JSON.parse(cfgEl.textContent), { dark: true, fontSize: small() ? 12 : 16,
        filters: function () { var p = new URLSearchParams(); p.set("period", "year"); return p; } });
    }
    // A kept payload may be older than the one on screen (each process of the embedded demo keeps its
    // own, answered while it is recomputed): never step the figures or their time back.
    var shown = "";
    function tick() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
        .then(function (data) { if (data.generated >= shown) { shown = data.generated; render(data); } })
        .catch(function () { document.getElementById("s-updated").textContent = TEXT.failed; });
    }
    tick();
    var every = parseInt(document.body.getAttribute("data-refresh"), 10) || 45;
    setInterval(function () { tick(); if (map) { map.reload(); } }, every * 1000);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
