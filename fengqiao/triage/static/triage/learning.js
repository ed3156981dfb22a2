/* Charts of the triage quality page (Plotly; data from json_script elements named by data-source). */
(function () {
  "use strict";
  var layout = { margin: { l: 40, r: 10, t: 10, b: 40 }, showlegend: false, font: { family: "sans-serif" },
                 yaxis: { range: [0, 100], ticksuffix: "%" }, xaxis: { tickformat: "%m-%d" } };
  var config = { displayModeBar: false, responsive: true };
  function draw() {
    if (typeof Plotly === "undefined") { return; }
    document.querySelectorAll("[data-tl-chart]").forEach(function (el) {
      var src = document.getElementById(el.getAttribute("data-source"));
      if (!src) { return; }
      var d = JSON.parse(src.textContent);
      var text = d.n.map(function (n) { return "件数 " + n; });
      var trace = el.getAttribute("data-tl-chart") === "bar"
        ? { x: d.x, y: d.y, type: "bar", text: text, hovertemplate: "%{x}<br>%{y}%<br>%{text}<extra></extra>", marker: { color: "#d9700b" } }
        : { x: d.x, y: d.y, type: "scatter", mode: "lines+markers", connectgaps: false, text: text,
            hovertemplate: "%{x}<br>%{y}%<br>%{text}<extra></extra>", line: { color: "#3e6fb0" } };
      Plotly.newPlot(el, [trace], layout, config);
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
}());
