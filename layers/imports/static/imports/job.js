// Progress of a running import: poll the job's status, show done/total, reload when it ends.
(function () {
  var root = document.getElementById("job");
  if (!root || root.dataset.status !== "running") return;
  var bar = document.getElementById("progress"), text = document.getElementById("progress-text");
  function poll() {
    fetch(root.dataset.statusUrl, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (s) {
      if (s.status !== "running") { window.location.reload(); return; }
      bar.hidden = false;
      if (s.total) { bar.max = s.total; bar.value = s.done; text.textContent = s.done + " / " + s.total + " (" + s.step + ")"; }
      setTimeout(poll, 400);
    }).catch(function () { setTimeout(poll, 1000); });
  }
  poll();
})();
