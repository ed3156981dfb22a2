/* Fengqiao staff pages: small progressive enhancements. Every page works without this script. */
(function () {
  "use strict";
  var en = (document.documentElement.lang || "").toLowerCase().indexOf("en") === 0;
  var T = en
    ? { left: "{} left", over: "overdue by {}", d: "d ", h: "h ", m: "min", cases: "cases for this phone", open: "open",
        none: "No earlier cases for this phone in your scope.", found: "mediators found and added to the list", nofound: "No mediator found.",
        phoneQ: "Please use the phone search below: a phone number must not go into the address bar." }
    : { left: "剩余 {}", over: "已超期 {}", d: "天", h: "小时", m: "分钟", cases: "件历史案件", open: "件在办",
        none: "该电话在您的范围内没有历史案件。", found: "位调解员，已加入下方列表", nofound: "没有找到匹配的调解员。",
        phoneQ: "请使用下方“按电话查找”：电话号码不能出现在网址中。" };

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $$(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }
  function csrf(form) { var i = form && form.querySelector("[name=csrfmiddlewaretoken]"); return i ? i.value : ""; }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }

  /* Deadlines: server text first, then tick every 30 s. */
  function span(ms) {
    var s = Math.floor(Math.abs(ms) / 1000), d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
    if (d) return d + T.d + h + T.h.trim();
    if (h) return h + T.h + m + (en ? "m" : "分");
    return m + T.m;
  }
  function tick() {
    $$("[data-countdown]").forEach(function (e) {
      var at = Date.parse(e.getAttribute("data-at") || e.getAttribute("datetime"));
      if (isNaN(at)) return;
      var ms = at - Date.now();
      e.textContent = (ms >= 0 ? T.left : T.over).replace("{}", span(ms));
      e.classList.toggle("over", ms < 0);
    });
  }
  if ($("[data-countdown]")) { tick(); setInterval(tick, 30000); }

  /* Filters open by default on wide screens; a #hash opens the action form it names. */
  if (window.matchMedia && window.matchMedia("(min-width: 60rem)").matches) {
    $$("details[data-open-wide]").forEach(function (d) { d.open = true; });
  }
  function openHash(hash) {
    var d = hash && hash.length > 1 ? document.getElementById(hash.slice(1)) : null;
    if (d && d.tagName === "DETAILS") { d.open = true; var s = d.querySelector("summary"); if (s) s.focus(); }
  }
  openHash(location.hash);
  window.addEventListener("hashchange", function () { openHash(location.hash); });
  var pageErr = $("#page-errors");
  if (pageErr) { var act = $("details.act[open]"); (act || pageErr).scrollIntoView({ block: "start" }); }

  /* Select all rows of the page. */
  $$("[data-check-all]").forEach(function (box) {
    box.addEventListener("change", function () {
      $$("input[name=cases]", box.closest("form")).forEach(function (c) { c.checked = box.checked; });
    });
  });

  /* Town → village → grid pickers. */
  $$("select[data-unit-parent]").forEach(function (sel) {
    sel.addEventListener("change", function () {
      var child = document.getElementById(sel.getAttribute("data-unit-parent"));
      if (!child) return;
      var first = child.options[0].cloneNode(true);
      var clear = function (s) { while (s.options.length > 1) s.remove(1); s.value = ""; };
      clear(child);
      var grand = child.getAttribute("data-unit-parent") && document.getElementById(child.getAttribute("data-unit-parent"));
      if (grand) clear(grand);
      if (!sel.value) return;
      fetch(sel.getAttribute("data-units-url") + "?parent=" + encodeURIComponent(sel.value), { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          child.innerHTML = ""; child.appendChild(first);
          data.results.forEach(function (u) { child.appendChild(el("option", { value: u.id }, u.name)); });
        });
    });
  });

  /* Two-level dispute type: the first select narrows the second. */
  $$("select[data-cat-parent]").forEach(function (top) {
    var sub = document.getElementById(top.getAttribute("data-cat-parent"));
    if (!sub) return;
    var groups = $$("optgroup", sub).map(function (g) { return g.cloneNode(true); });
    function apply() {
      var keep = sub.value;
      $$("optgroup", sub).forEach(function (g) { g.remove(); });
      groups.forEach(function (g) {
        if (!top.value || g.getAttribute("data-parent") === top.value) sub.appendChild(g.cloneNode(true));
      });
      sub.value = keep;
      if (sub.value !== keep) sub.value = "";
    }
    top.addEventListener("change", apply);
    sub.addEventListener("change", function () {
      var opt = sub.options[sub.selectedIndex];
      var g = opt && opt.parentNode && opt.parentNode.getAttribute && opt.parentNode.getAttribute("data-parent");
      if (g && top.value !== g) { top.value = g; apply(); }
    });
    if (top.value) apply();
  });

  /* Party phone: POST lookup (the number never goes into a URL), shows earlier cases. */
  $$("input[data-phone-lookup]").forEach(function (input) {
    var form = input.closest("form"), out = $("#phone-result"), last = "";
    function run() {
      var v = input.value.replace(/[\s-]/g, "");
      if (v === last || v.length < 7) return;
      last = v;
      fetch(form.getAttribute("data-phone-url"), {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf(form) },
        body: JSON.stringify({ phone: input.value })
      }).then(function (r) { return r.json(); }).then(function (data) {
        out.innerHTML = "";
        if (data.error) return;
        if (!data.count) { out.appendChild(el("p", { "class": "muted" }, T.none)); return; }
        var p = el("p", { "class": data.open_count ? "alert warn" : "muted" },
          data.count + " " + T.cases + (data.open_count ? "，" + data.open_count + " " + T.open : ""));
        out.appendChild(p);
        var ul = el("ul", { "class": "plain" });
        data.cases.forEach(function (c) {
          var li = el("li"), a = el("a", { href: c.url, target: "_blank", rel: "noopener" });
          a.appendChild(el("span", { "class": "code" }, c.display_code));
          a.appendChild(document.createTextNode(" " + c.title));
          li.appendChild(a); li.appendChild(document.createTextNode(" · " + c.state_label));
          ul.appendChild(li);
        });
        out.appendChild(ul);
      }).catch(function () {});
    }
    input.addEventListener("change", run);
    input.addEventListener("blur", run);
  });

  /* Address autocomplete: an ARIA combobox over standard addresses and units. */
  $$("input[data-address-lookup]").forEach(function (input) {
    var list = document.getElementById(input.getAttribute("aria-controls"));
    var hidden = $("#in-standard_address"), unitSel = $("#in-location_unit");
    var items = [], active = -1, timer = null;
    function close() { list.hidden = true; input.setAttribute("aria-expanded", "false"); input.removeAttribute("aria-activedescendant"); active = -1; }
    function mark(i) {
      $$("li", list).forEach(function (li, j) { li.setAttribute("aria-selected", j === i ? "true" : "false"); });
      active = i;
      if (i >= 0) input.setAttribute("aria-activedescendant", "addr-opt-" + i);
    }
    function choose(i) {
      var it = items[i]; if (!it) return;
      if (it.type === "address") { input.value = it.label; hidden.value = it.id; } else { hidden.value = ""; }
      if (unitSel && it.unit) {
        if (!unitSel.querySelector('option[value="' + it.unit + '"]')) unitSel.appendChild(el("option", { value: it.unit }, it.unit_label));
        unitSel.value = String(it.unit);
      }
      close();
    }
    input.addEventListener("input", function () {
      hidden.value = "";
      clearTimeout(timer);
      var q = input.value.trim();
      if (!q) { close(); return; }
      timer = setTimeout(function () {
        fetch(input.getAttribute("data-address-lookup") + "?q=" + encodeURIComponent(q), { credentials: "same-origin" })
          .then(function (r) { return r.json(); })
          .then(function (data) {
            items = data.results; list.innerHTML = "";
            items.forEach(function (it, i) {
              var li = el("li", { id: "addr-opt-" + i, role: "option", "aria-selected": "false" }, it.label);
              if (it.type === "address") li.appendChild(el("span", { "class": "muted" }, " · " + it.unit_label));
              li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(i); });
              list.appendChild(li);
            });
            if (items.length) { list.hidden = false; input.setAttribute("aria-expanded", "true"); mark(-1); } else { close(); }
          });
      }, 200);
    });
    input.addEventListener("keydown", function (e) {
      if (list.hidden) return;
      if (e.key === "ArrowDown") { e.preventDefault(); mark(Math.min(active + 1, items.length - 1)); }
      else if (e.key === "ArrowUp") { e.preventDefault(); mark(Math.max(active - 1, 0)); }
      else if (e.key === "Enter" && active >= 0) { e.preventDefault(); choose(active); }
      else if (e.key === "Escape") { close(); }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
  });

  /* 点兵点将: search the mediator pool and add the results to the team form. */
  $$("form[data-pool-search]").forEach(function (form) {
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var q = form.querySelector("[name=pool]").value.trim(), status = form.querySelector("[data-pool-status]");
      var actForm = $("form[data-act=attach_team]"), listBox = actForm && actForm.querySelector("[data-pool-list]");
      var lead = actForm && actForm.querySelector("select[name=lead]");
      if (!q || !listBox) return;
      fetch(form.getAttribute("data-pool-search") + "?q=" + encodeURIComponent(q), { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          var empty = listBox.querySelector("[data-pool-empty]"); if (empty && data.results.length) empty.remove();
          data.results.forEach(function (m) {
            var id = "act-attach_team-mediators-" + m.id;
            if (document.getElementById(id)) return;
            var label = el("label", { "class": "check", "for": id });
            var box = el("input", { type: "checkbox", id: id, name: "mediators", value: m.id });
            label.appendChild(box); label.appendChild(document.createTextNode(" " + m.label));
            listBox.insertBefore(label, listBox.firstChild);
            if (lead) lead.appendChild(el("option", { value: m.id }, m.label));
          });
          status.textContent = data.results.length ? data.results.length + " " + T.found : T.nofound;
        });
    });
  });

  /* A phone number typed into the GET search box goes to the POST phone search instead. */
  $$("form[data-filter-form]").forEach(function (form) {
    form.addEventListener("submit", function (e) {
      var q = form.querySelector("[data-no-phone]"), v = q ? q.value.replace(/[\s-]/g, "") : "";
      if (/^(\+?86)?(1[3-9]\d{9}|0\d{9,11}|\d{17}[\dXx])$/.test(v)) {
        e.preventDefault();
        var ps = $("form[data-phone-search] input[name=phone]");
        if (ps) { ps.value = q.value; q.value = ""; ps.focus(); }
        alert(T.phoneQ);
      }
    });
  });

  /* Print; one submission per click. */
  $$("[data-print]").forEach(function (b) { b.addEventListener("click", function () { window.print(); }); });
  $$("button[data-once]").forEach(function (b) {
    b.form && b.form.addEventListener("submit", function (e) { setTimeout(function () { if (!e.defaultPrevented) b.disabled = true; }, 0); });
  });

  /* Menu groups: one open at a time; a click elsewhere or Escape closes it. */
  var groups = $$("details[data-navgroup]");
  groups.forEach(function (g) {
    g.addEventListener("toggle", function () {
      if (g.open) groups.forEach(function (o) { if (o !== g) o.open = false; });
    });
  });
  document.addEventListener("click", function (e) {
    groups.forEach(function (g) { if (g.open && !g.contains(e.target)) g.open = false; });
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape") groups.forEach(function (g) { if (g.open) { g.open = false; g.querySelector("summary").focus(); } });
  });
})();
