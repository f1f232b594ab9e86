/* Service card: "use my location" fills the longitude/latitude form from the phone and sends it. */
(function () {
  "use strict";
  var btn = document.querySelector("[data-locate]");
  var form = document.querySelector("form[data-lonlat]");
  if (!btn || !form) return;
  btn.addEventListener("click", function () {
    var note = document.querySelector("[data-located]");
    if (!navigator.geolocation) { note.textContent = "—"; return; }
    btn.disabled = true;
    navigator.geolocation.getCurrentPosition(function (pos) {
      form.lon.value = pos.coords.longitude.toFixed(7);
      form.lat.value = pos.coords.latitude.toFixed(7);
      form.submit();
    }, function (err) {
      btn.disabled = false;
      note.textContent = err.message || String(err.code);
    }, {enableHighAccuracy: true, timeout: 20000});
  });
})();
