/* The outbox page: every item made on this device and its fate, from IndexedDB (geogridQueue). */
(function () {
  "use strict";
  var W = JSON.parse(document.getElementById("outbox-words").textContent);
  var root = document.getElementById("outbox");
  var list = root.querySelector("[data-items]");

  function when(ms) { return ms ? new Date(ms).toLocaleString("zh-CN", {hour12: false}) : ""; }

  function row(item) {
    var li = document.createElement("li");
    li.className = "item " + item.status;
    li.dataset.status = item.status;
    li.dataset.key = item.key;
    var head = document.createElement("div");
    head.className = "head";
    var label = document.createElement("strong");
    label.textContent = item.label || (item.method + " " + item.url);
    var state = document.createElement("span");
    state.className = "state";
    state.dataset.state = item.status;
    state.textContent = W[item.status] || item.status;
    head.append(label, state);
    li.append(head);
    var meta = document.createElement("div");
    meta.className = "meta";
    var bits = [W.made + " " + when(item.created)];
    if (item.sentAt) bits.push(W.sent_at + " " + when(item.sentAt));
    if (item.attempts) bits.push(W.attempts + " " + item.attempts);
    if (item.httpStatus) bits.push("HTTP " + item.httpStatus);
    if (item.result && (item.result.ref || item.result.id)) bits.push(W.result + " " + (item.result.ref || ("#" + item.result.id)));
    meta.textContent = bits.join(" · ");
    li.append(meta);
    if (item.reason) {
      var reason = document.createElement("p");
      reason.className = "reason";
      reason.dataset.reason = "";
      reason.textContent = W.reason + ": " + item.reason;
      li.append(reason);
    }
    if (item.status === "refused") {
      var b = document.createElement("button");
      b.type = "button";
      b.textContent = W.retry;
      b.addEventListener("click", function () { window.geogridQueue.retry(item.id).then(render); });
      li.append(b);
    }
    return li;
  }

  var rendering = false;
  async function render() {
    if (!window.geogridQueue) return;
    if (rendering) return;
    rendering = true;
    try {
      var items = await window.geogridQueue.list();
      list.replaceChildren.apply(list, items.map(row));
      var n = {queued: 0, refused: 0, sent: 0};
      items.forEach(function (i) { n[i.status === "sending" ? "queued" : i.status] += 1; });
      root.querySelector("[data-counts]").textContent = W.counts.replace("%(queued)s", n.queued)
        .replace("%(refused)s", n.refused).replace("%(sent)s", n.sent);
      root.querySelector("[data-empty]").hidden = n.queued + n.refused > 0;
      root.dataset.ready = "1";
    } catch (e) {
      root.querySelector("[data-counts]").textContent = W.no_storage;
    } finally {
      rendering = false;
    }
  }

  function net() {
    root.querySelector("[data-online]").hidden = !navigator.onLine;
    root.querySelector("[data-offline]").hidden = navigator.onLine;
  }

  root.querySelector("[data-flush]").addEventListener("click", function () { window.geogridQueue.flush().then(render); });
  root.querySelector("[data-clear]").addEventListener("click", function () { window.geogridQueue.clearSent().then(render); });
  window.addEventListener("online", function () { net(); render(); });
  window.addEventListener("offline", net);
  if (typeof BroadcastChannel !== "undefined") new BroadcastChannel("geogrid-outbox").onmessage = function () { render(); };
  net();
  render();
})();
