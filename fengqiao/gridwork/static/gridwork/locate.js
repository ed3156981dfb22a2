/* Fill the hidden lat/lon fields of forms marked data-locate with the phone's position, when the
   browser allows it. Nothing is required: without a position the form is sent without one. */
(function () {
  "use strict";
  var forms = document.querySelectorAll("form[data-locate]");
  if (!forms.length || !navigator.geolocation) { return; }
  navigator.geolocation.getCurrentPosition(function (pos) {
    forms.forEach(function (form) {
      var set = function (name, value) { var el = form.querySelector("input[name=" + name + "]"); if (el) { el.value = value; } };
      set("lat", pos.coords.latitude.toFixed(6));
      set("lon", pos.coords.longitude.toFixed(6));
      set("accuracy", Math.round(pos.coords.accuracy));
      var where = form.querySelector("[data-where]");
      if (where) { where.textContent = "位置：" + pos.coords.latitude.toFixed(5) + ", " + pos.coords.longitude.toFixed(5) + "（±" + Math.round(pos.coords.accuracy) + "米）"; }
    });
  }, function () {
    forms.forEach(function (form) { var w = form.querySelector("[data-where]"); if (w) { w.textContent = "位置：手机未允许定位，将不记录位置"; } });
  }, { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 });
})();
