/* Evaluation charts (Plotly, served from its wheel): the three-colour ranking bars and the hexagonal
   radar of a unit against the average. Data come from json_script blocks; no inline script. */
(function () {
  "use strict";
  var COLOURS = { green: "#1e7b34", yellow: "#c79a00", red: "#b42318", grey: "#9aa5b1" };
  var FONT = { family: '"Noto Sans CJK SC","WenQuanYi Zen Hei","PingFang SC","Microsoft YaHei",sans-serif', size: 13 };
  var CONFIG = { displayModeBar: false, responsive: true, locale: "zh-CN" };

  function data(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  function bands(el) {
    var d = data(el.getAttribute("data-source"));
    if (!d || !window.Plotly || !d.units.length) { return; }
    window.Plotly.newPlot(el, [{
      type: "bar", x: d.units, y: d.scores,
      marker: { color: d.bands.map(function (b) { return COLOURS[b] || COLOURS.grey; }) },
      text: d.scores.map(function (s) { return s.toFixed(1); }), textposition: "outside", cliponaxis: false,
      hovertemplate: "%{x}<br>%{y:.1f}<extra></extra>"
    }], {
      font: FONT, margin: { t: 24, r: 10, b: 90, l: 40 }, yaxis: { range: [0, 105], fixedrange: true },
      xaxis: { tickangle: -40, fixedrange: true }, showlegend: false
    }, CONFIG);
  }

  function radar(el) {
    var d = data(el.getAttribute("data-source"));
    if (!d || !window.Plotly || !d.labels.length) { return; }
    function close(a) { return a.concat([a[0]]); }
    var theta = close(d.labels);
    window.Plotly.newPlot(el, [
      { type: "scatterpolar", r: close(d.avg.map(function (v) { return v === null ? 0 : v; })), theta: theta,
        name: d.avgName, line: { color: "#9aa5b1", dash: "dot" }, fill: "none" },
      { type: "scatterpolar", r: close(d.unit.map(function (v) { return v === null ? 0 : v; })), theta: theta,
        name: d.unitName, line: { color: "#0b5394" }, fill: "toself", fillcolor: "rgba(11,83,148,0.18)" }
    ], {
      font: FONT, margin: { t: 30, r: 40, b: 30, l: 40 },
      polar: { radialaxis: { range: [0, 100], tickfont: { size: 10 } }, gridshape: "linear" },
      legend: { orientation: "h", y: -0.08 }
    }, CONFIG);
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-chart=bands]"), bands);
    Array.prototype.forEach.call(document.querySelectorAll("[data-chart=radar]"), radar);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
  window.addEventListener("load", function () { if (!document.querySelector(".js-plotly-plot")) { start(); } });
})();
