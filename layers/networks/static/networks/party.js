// The party page's one script: fill longitude and latitude from the phone's position.
(function () {
  "use strict";
  const form = document.getElementById("party-raise");
  const button = document.getElementById("party-locate");
  if (!form || !button) return;
  const status = document.getElementById("party-locate-status");
  button.addEventListener("click", function () {
    if (!navigator.geolocation) { status.textContent = form.dataset.noPosition; return; }
    status.textContent = form.dataset.locating;
    navigator.geolocation.getCurrentPosition(function (pos) {
      form.elements.lon.value = pos.coords.longitude.toFixed(7);
      form.elements.lat.value = pos.coords.latitude.toFixed(7);
      form.elements.crs.value = "wgs84";
      status.textContent = "±" + Math.round(pos.coords.accuracy) + " m";
    }, function () { status.textContent = form.dataset.noPosition; }, {enableHighAccuracy: true, timeout: 15000});
  });
})();
