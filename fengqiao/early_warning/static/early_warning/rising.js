/* The dashboard's rising strip, loaded after the screen has painted (it reads half a year of cases). */
(function () {
  "use strict";
  var box = document.querySelector("[data-ew-rising]");
  if (!box || !window.fetch) { return; }
  var status = box.querySelector("[data-ew-rising-status]");
  var failed = document.documentElement.lang.indexOf("en") === 0 ? "The rising list could not be loaded." : "上升预警暂时无法加载。";
  fetch(box.getAttribute("data-ew-rising"), { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
    .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.text(); })
    .then(function (html) {
      var tpl = document.createElement("template");
      tpl.innerHTML = html;
      var strip = tpl.content.querySelector("section.ew-strip");
      if (strip) { box.replaceWith(strip); } else if (status) { status.textContent = failed; }
    })
    .catch(function () { if (status) { status.textContent = failed; } box.removeAttribute("aria-busy"); });
})();
