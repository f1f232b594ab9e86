/* The resident's report page: type picker, description, "use my location" or an address chosen
   from scored candidates, then POST /api/public/reports/ and show the tracking code. */
(function () {
  "use strict";
  var root = document.getElementById("public-report");
  var form = root.querySelector("[data-form]");
  var cats = JSON.parse(document.getElementById("public-categories").textContent);
  var W = JSON.parse(document.getElementById("public-words").textContent);
  var $ = function (s) { return root.querySelector(s); };
  function error(t) { $("[data-error]").textContent = t || ""; }

  form.category.addEventListener("change", function () {
    var c = cats.find(function (x) { return x.code === form.category.value; });
    form.type.replaceChildren();
    (c ? c.types : []).forEach(function (t) { form.type.append(new Option(t.name, t.code)); });
    form.type.disabled = !c;
  });

  function place(lon, lat, address, text) {
    form.lon.value = lon === null ? "" : lon;
    form.lat.value = lat === null ? "" : lat;
    form.address.value = address || "";
    $("[data-located]").textContent = text;
  }

  $("[data-locate]").addEventListener("click", function () {
    if (!navigator.geolocation) { $("[data-located]").textContent = W.no_geo; return; }
    $("[data-located]").textContent = W.locating;
    navigator.geolocation.getCurrentPosition(function (pos) {
      place(pos.coords.longitude.toFixed(7), pos.coords.latitude.toFixed(7), "",
            W.located.replace("%(m)s", Math.round(pos.coords.accuracy)));
      $("[data-candidates]").replaceChildren();
    }, function () { $("[data-located]").textContent = W.no_geo; }, {enableHighAccuracy: true, timeout: 20000});
  });

  $("[data-search]").addEventListener("click", async function () {
    var q = form.address_text.value.trim();
    var list = $("[data-candidates]");
    list.replaceChildren();
    if (!q) return;
    try {
      var r = await fetch("/api/public/addresses/?q=" + encodeURIComponent(q), {headers: {"Accept": "application/json"}});
      var data = await r.json();
      if (!r.ok) { error(data.detail || ("HTTP " + r.status)); return; }
      if (!data.candidates.length) { list.append(Object.assign(document.createElement("li"), {textContent: W.no_match})); return; }
      data.candidates.forEach(function (c) {
        var li = document.createElement("li");
        var b = document.createElement("button");
        b.type = "button";
        b.className = "candidate";
        b.dataset.address = c.id;
        b.textContent = c.full_text + (c.grid ? " · " + c.grid.name : "");
        var s = document.createElement("span");
        s.className = "score";
        s.textContent = W.score + " " + Math.round(c.score * 100) + "%";
        b.append(" ", s);
        b.addEventListener("click", function () {
          list.querySelectorAll(".candidate").forEach(function (x) { x.classList.toggle("chosen", x === b); });
          place(null, null, c.id, W.chosen.replace("%(a)s", c.full_text));
        });
        li.append(b);
        list.append(li);
      });
    } catch (e) { error(W.network); }
  });

  form.addEventListener("submit", async function (ev) {
    ev.preventDefault();
    error("");
    if (!form.address.value && !(form.lon.value && form.lat.value)) { error(W.need_place); return; }
    var body = {type: form.type.value, description: form.description.value};
    if (form.address.value) body.address = form.address.value; else { body.lon = form.lon.value; body.lat = form.lat.value; }
    $("[data-submit]").disabled = true;
    try {
      var r = await fetch("/api/public/reports/", {method: "POST", headers: {"Content-Type": "application/json", "Accept": "application/json"},
                                                   body: JSON.stringify(body), credentials: "omit"});
      var data = await r.json();
      if (r.status === 201) {
        form.hidden = true;
        $("[data-done]").hidden = false;
        $("[data-code]").textContent = data.code;
        $("[data-track]").href = "/public/track/?code=" + encodeURIComponent(data.code);
      } else {
        error(data.detail || Object.keys(data).map(function (k) { return k + ": " + data[k]; }).join("; "));
      }
    } catch (e) { error(W.network); }
    finally { $("[data-submit]").disabled = false; }
  });
  // Disabled in the page until the handler above is bound: an early tap must not submit natively.
  $("[data-submit]").disabled = false;
})();
