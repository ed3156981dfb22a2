/* 一事一档: the "打印" button (no inline handler: the Content-Security-Policy allows no inline script). */
(function () {
  "use strict";
  Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
