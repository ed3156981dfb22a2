/* Statistics page: show the date fields only for a custom period. */
(function () {
  "use strict";
  function init() {
    var form = document.getElementById("stats-form");
    if (!form) { return; }
    form.addEventListener("change", function () {
      var range = form.querySelector(".af-range");
      if (range && form.elements.period) { range.hidden = form.elements.period.value !== "range"; }
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
