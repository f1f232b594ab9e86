/* Subjects and visits: record a visit from a subject's card (through the offline queue when it is
   on the page, each visit with its own Idempotency-Key); reveal sensitive fields only on an
   explicit tap, which the server logs. Revealed values live in the page, never on the device. */
(function () {
  "use strict";
  var root = document.getElementById("visits");
  if (!root) return;

  function say(card, text, kind) {
    var m = card.querySelector(".message");
    m.hidden = false;
    m.className = "message notice" + (kind ? " " + kind : "");
    m.textContent = text;
  }

  root.querySelectorAll("form.visit-form").forEach(function (form) {
    var key = geogridField.key();
    form.addEventListener("submit", async function (ev) {
      ev.preventDefault();
      var card = form.closest(".subject-card");
      var button = form.querySelector("button[type=submit]");
      var kind = form.querySelector("input[name=kind]:checked");
      var body = {subject: parseInt(card.dataset.id, 10), date: form.date.value, kind: kind ? kind.value : "routine",
                  notes: form.notes.value, follow_up: form.follow_up.value};
      button.disabled = true;
      try {
        var res = await geogridField.send({method: "POST", url: "/api/visits/", body: body, key: key,
                                           label: card.querySelector("h3").firstChild.textContent.trim()});
        if (res.status === "queued" || (res.code >= 200 && res.code < 300)) {
          say(card, res.status === "queued" ? root.dataset.queued : root.dataset.saved, "ok");
          form.reset();
          form.closest("details").open = false;
          key = geogridField.key();
          return;
        }
        say(card, geogridField.errorText(res, String(res.code)), "bad");
      } catch (e) {
        say(card, root.dataset.failed, "bad");
      } finally {
        button.disabled = false;
      }
    });
    // Disabled in the page until now, so a tap before this script ran cannot submit natively.
    form.querySelector("button[type=submit]").disabled = false;
  });

  root.querySelectorAll(".reveal-button").forEach(function (button) {
    button.addEventListener("click", async function () {
      var card = button.closest(".subject-card");
      var dl = card.querySelector("dl.sensitive");
      button.disabled = true;
      try {
        // Not through the offline queue: a reveal is a read that must happen now and be logged now.
        var r = await fetch("/api/subjects/" + card.dataset.id + "/reveal/", {
          method: "POST", credentials: "same-origin",
          headers: {"Content-Type": "application/json", "X-CSRFToken": geogridField.csrf(), "Accept": "application/json"},
          body: JSON.stringify({fields: Array.prototype.map.call(dl.querySelectorAll("dd"), function (dd) { return dd.dataset.field; })})});
        var data = await r.json();
        if (!r.ok) { say(card, geogridField.errorText({data: data}, String(r.status)), "bad"); return; }
        dl.querySelectorAll("dd").forEach(function (dd) { dd.textContent = data.fields[dd.dataset.field] || "—"; });
        button.hidden = true;
      } catch (e) {
        say(card, root.dataset.failed, "bad");
      } finally {
        button.disabled = false;
      }
    });
  });
})();
