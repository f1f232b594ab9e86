/* Follow a resident's report by its code; rate once it is closed (a second rating is refused). */
(function () {
  "use strict";
  var root = document.getElementById("public-track");
  var W = JSON.parse(document.getElementById("public-words").textContent);
  var code = (root.querySelector("input[name=code]").value || "").trim();
  var $ = function (s) { return root.querySelector(s); };
  function error(t) { $("[data-error]").textContent = t || ""; }

  function show(d) {
    $("[data-status]").hidden = false;
    $("[data-status-label]").textContent = d.status_label;
    $("[data-status-label]").dataset.status = d.status;
    $("[data-type]").textContent = d.type;
    $("[data-grid]").textContent = d.grid.name;
    $("[data-description]").textContent = d.description;
    $("[data-steps]").replaceChildren.apply($("[data-steps]"), d.steps.map(function (s) {
      var li = document.createElement("li");
      li.textContent = new Date(s.at).toLocaleString("zh-CN", {hour12: false}) + " " + s.label;
      return li;
    }));
    $("[data-rate]").hidden = !d.can_rate;
    if (d.rating) { $("[data-rated]").hidden = false; $("[data-rated]").textContent = W.rated.replace("%(n)s", d.rating.score); }
  }

  async function load() {
    if (!code) return;
    try {
      var r = await fetch("/api/public/reports/" + encodeURIComponent(code) + "/", {headers: {"Accept": "application/json"}, credentials: "omit"});
      if (r.status === 404) { error(W.not_found); return; }
      show(await r.json());
      root.dataset.loaded = "1";
    } catch (e) { error(W.network); }
  }

  $("[data-rate]").addEventListener("submit", async function (ev) {
    ev.preventDefault();
    error("");
    var f = ev.target;
    try {
      var r = await fetch("/api/public/reports/" + encodeURIComponent(code) + "/rating/", {method: "POST", credentials: "omit",
        headers: {"Content-Type": "application/json", "Accept": "application/json"},
        body: JSON.stringify({score: Number(f.score.value), note: f.note.value})});
      var data = await r.json();
      if (r.status === 201) { show(data); } else { error(data.detail || ("HTTP " + r.status)); }
    } catch (e) { error(W.network); }
  });
  load();
})();
