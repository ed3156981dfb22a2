/* Limits beside the fields (fengqiao.core.limits): a live character counter for
   <textarea|input data-maxchars="N"> and a size/count check for <input type=file data-maxbytes
   data-maxfiles>. The messages come from the page (data-* attributes on the counter element, id
   "<field id>-count"), so they are translated there. A form with a field over its limit is not
   sent: what was typed stays in the form. No inline script (CSP). */
(function () {
  "use strict";
  function fill(tpl, values) {
    return (tpl || "").replace(/%\((\w+)\)s/g, function (_, k) { return values[k] === undefined ? "" : values[k]; });
  }
  function counterOf(field) { return document.getElementById(field.id + "-count"); }

  function checkText(field) {
    var max = parseInt(field.getAttribute("data-maxchars"), 10);
    var n = Array.from(field.value).length;
    var out = counterOf(field);
    var over = n > max;
    if (out) {
      out.textContent = fill(out.getAttribute(over ? "data-over" : "data-ok"), { n: n, max: max, extra: n - max });
      out.classList.toggle("over", over);
    }
    field.setAttribute("aria-invalid", over ? "true" : "false");
    return !over;
  }

  function checkFiles(field) {
    var maxBytes = parseInt(field.getAttribute("data-maxbytes") || "0", 10);
    var maxFiles = parseInt(field.getAttribute("data-maxfiles") || "0", 10);
    var out = counterOf(field);
    var files = Array.from(field.files || []);
    var problem = "";
    if (maxFiles && files.length > maxFiles) {
      problem = fill(out && out.getAttribute("data-too-many"), { n: files.length, max: maxFiles });
    } else {
      files.forEach(function (f) {
        if (!problem && maxBytes && f.size > maxBytes) {
          problem = fill(out && out.getAttribute("data-too-big"), {
            name: f.name, mb: (f.size / 1048576).toFixed(1), max: Math.round(maxBytes / 1048576)
          });
        }
      });
    }
    if (out) {
      out.textContent = problem || fill(out.getAttribute("data-ok"), { n: files.length, max: maxFiles });
      out.classList.toggle("over", !!problem);
    }
    field.setAttribute("aria-invalid", problem ? "true" : "false");
    return !problem;
  }

  function check(field) { return field.type === "file" ? checkFiles(field) : checkText(field); }

  var fields = Array.from(document.querySelectorAll("[data-maxchars], input[type=file][data-maxbytes]"));
  fields.forEach(function (field) {
    field.addEventListener(field.type === "file" ? "change" : "input", function () { check(field); });
    check(field);
  });
  var forms = [];
  fields.forEach(function (f) { if (f.form && forms.indexOf(f.form) < 0) forms.push(f.form); });
  forms.forEach(function (form) {
    form.addEventListener("submit", function (e) {
      var bad = fields.filter(function (f) { return f.form === form && !check(f); });
      if (bad.length) {
        e.preventDefault();
        bad[0].focus();
        var out = counterOf(bad[0]);
        if (out) { out.setAttribute("role", "alert"); }
      }
    });
  });
})();
