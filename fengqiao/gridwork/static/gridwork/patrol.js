/* Patrol check-ins that survive a dropped connection: each tap makes a point with its own client id
   and the phone's time, puts it in a queue kept in localStorage, and sends the queue in order. A point
   leaves the queue only when the server answered (saved, already saved, or refused); on a network
   error or a 5xx the rest waits and is resent when the phone is back online. The server keeps one row
   per client id, so resending is harmless. */
(function () {
  "use strict";
  var box = document.getElementById("patrol");
  if (!box) { return; }
  var url = box.getAttribute("data-url");
  var key = "gw-queue-" + box.getAttribute("data-patrol");
  var csrf = box.querySelector("input[name=csrfmiddlewaretoken]").value;
  var status = document.getElementById("gw-status");
  var queueInfo = document.getElementById("gw-queue");
  var list = document.getElementById("gw-points");
  var button = document.getElementById("gw-checkin");
  var sending = false;

  function load() { try { return JSON.parse(localStorage.getItem(key) || "[]"); } catch (e) { return []; } }
  function save(q) { localStorage.setItem(key, JSON.stringify(q)); showQueue(q); }
  function showQueue(q) {
    if (q.length) { queueInfo.hidden = false; queueInfo.textContent = "待上传 " + q.length + " 个签到点（联网后自动上传）"; }
    else { queueInfo.hidden = true; queueInfo.textContent = ""; }
  }
  function newId() {
    var a = new Uint8Array(12); (window.crypto || window.msCrypto).getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function pad(n) { return ("0" + n).slice(-2); }
  function addRow(p) {
    var li = document.createElement("li");
    var t = new Date(p.at);
    var text = pad(t.getHours()) + ":" + pad(t.getMinutes()) + ":" + pad(t.getSeconds());
    text += p.lat ? " · " + Number(p.lat).toFixed(5) + ", " + Number(p.lon).toFixed(5) : " · 未定位";
    li.textContent = text;
    list.appendChild(li);
    var count = document.getElementById("gw-count");
    if (count) { count.textContent = String(Number(count.textContent) + 1); }
  }

  function flush() {
    if (sending) { return; }
    var q = load();
    if (!q.length) { showQueue(q); return; }
    sending = true;
    var p = q[0];
    var body = new FormData();
    Object.keys(p).forEach(function (k) { if (p[k] !== null && p[k] !== undefined && p[k] !== "") { body.append(k, p[k]); } });
    fetch(url, { method: "POST", body: body, credentials: "same-origin", headers: { "Accept": "application/json", "X-CSRFToken": csrf } })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (data) { return { status: r.status, data: data }; });
      })
      .then(function (res) {
        sending = false;
        if (res.status >= 500 || res.status === 408 || res.status === 429) { status.textContent = "服务器暂时无法保存，稍后自动重试。"; showQueue(load()); return; }
        var rest = load().filter(function (x) { return x.client_id !== p.client_id; });
        save(rest);
        if (res.status < 300) { if (res.data.created) { addRow(p); } status.textContent = "已签到 " + new Date(p.at).toLocaleTimeString("zh-CN", { hour12: false }); }
        else { status.textContent = "签到未保存：" + (res.data.error || "请求有误"); }
        flush();
      })
      .catch(function () {
        sending = false;
        status.textContent = "网络已断开，签到已存在手机上，联网后自动上传。";
        showQueue(load());
      });
  }

  function enqueue(pos) {
    var p = { client_id: newId(), at: new Date().toISOString() };
    if (pos) { p.lat = pos.coords.latitude.toFixed(6); p.lon = pos.coords.longitude.toFixed(6); p.accuracy = Math.round(pos.coords.accuracy); }
    var q = load(); q.push(p); save(q);
    flush();
  }

  button.addEventListener("click", function () {
    status.textContent = "正在签到…";
    if (!navigator.geolocation) { enqueue(null); return; }
    navigator.geolocation.getCurrentPosition(enqueue, function () { enqueue(null); }, { enableHighAccuracy: true, timeout: 8000, maximumAge: 30000 });
  });
  var stop = document.getElementById("gw-stop");
  if (stop) {
    stop.form.addEventListener("submit", function (ev) {
      if (load().length) { ev.preventDefault(); status.textContent = "还有签到点未上传，请联网后再结束巡查。"; flush(); }
    });
  }
  window.addEventListener("online", flush);
  setInterval(flush, 15000);
  showQueue(load());
  flush();
})();
