// Hotline operator screen: drop the caller's number from the address bar at once (the server keeps
// it in the session), and submit with Ctrl+Enter.
(function () {
  var root = document.querySelector("[data-hotline]");
  if (!root) return;
  if (window.location.search && window.history && window.history.replaceState) {
    window.history.replaceState(null, "", root.getAttribute("data-clean-url"));
  }
  document.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      var form = root.querySelector("form");
      if (form) { e.preventDefault(); form.submit(); }
    }
  });
})();
