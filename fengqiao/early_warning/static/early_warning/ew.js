/* Charts of the warning pages (Plotly; data from json_script elements named by data-source). */
(function () {
  "use strict";
  function data(el) {
    var src = document.getElementById(el.getAttribute("data-source"));
    return src ? JSON.parse(src.textContent) : null;
  }
  var layout = { margin: { l: 40, r: 10, t: 10, b: 40 }, showlegend: false, font: { family: "sans-serif" } };
  var config = { displayModeBar: false, responsive: true };
  function series(el, d) {
    var fx = d.fx || [];
    if (!fx.length && d.x.length) {
      var last = new Date(d.x[d.x.length - 1]);
      for (var i = 1; i <= d.forecast.point.length; i++) {
        fx.push(new Date(last.getTime() + i * 7 * 86400000).toISOString().slice(0, 10));
      }
    }
    Plotly.newPlot(el, [
      { x: d.x, y: d.y, type: "bar", name: "实际", marker: { color: "#3e6fb0" } },
      { x: fx.concat(fx.slice().reverse()), y: d.forecast.hi.concat(d.forecast.lo.slice().reverse()),
        fill: "toself", fillcolor: "rgba(230,120,20,0.2)", line: { width: 0 }, type: "scatter", hoverinfo: "skip", name: "区间" },
      { x: fx, y: d.forecast.point, type: "scatter", mode: "lines+markers", name: "预测", line: { color: "#d9700b" } }
    ], Object.assign({}, layout, { xaxis: { tickformat: "%m-%d" } }), config);
  }
  function graph(el, d) {
    var ex = [], ey = [];
    d.edges.forEach(function (e) { ex.push(e[0], e[2], null); ey.push(e[1], e[3], null); });
    Plotly.newPlot(el, [
      { x: ex, y: ey, mode: "lines", type: "scatter", line: { color: "#9aa5b1", width: 1 }, hoverinfo: "skip" },
      { x: d.nodes.map(function (n) { return n.x; }), y: d.nodes.map(function (n) { return n.y; }),
        text: d.nodes.map(function (n) { return n.label; }), mode: "markers+text", type: "scatter", textposition: "top center",
        marker: { size: d.nodes.map(function (n) { return 10 + 3 * n.degree; }),
                  color: d.nodes.map(function (n) { return n.main ? "#c62828" : "#3e6fb0"; }) } }
    ], Object.assign({}, layout, { xaxis: { visible: false }, yaxis: { visible: false } }), config);
  }
  function draw() {
    if (typeof Plotly === "undefined") { return; }
    document.querySelectorAll("[data-ew-chart]").forEach(function (el) {
      var d = data(el);
      if (!d) { return; }
      if (el.getAttribute("data-ew-chart") === "graph") { graph(el, d); } else { series(el, d); }
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
}());
