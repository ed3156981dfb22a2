// 常用语: picking a canned reply puts its (case-filled) text into the note form and opens it.
(function () {
  "use strict";
  var pick = document.getElementById("canned-pick");
  if (!pick) return;
  pick.addEventListener("change", function () {
    var target = document.querySelector(pick.getAttribute("data-canned-target"));
    if (!target || !pick.value) return;
    var details = target.closest("details");
    if (details) details.open = true;
    target.value = target.value ? target.value + "\n" + pick.value : pick.value;
    target.dispatchEvent(new Event("input", { bubbles: true }));
    target.focus();
    pick.value = "";
  });
})();
