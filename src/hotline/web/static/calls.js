// The screen pop: while the operator is on the calls page, ask every few seconds which call they
// are talking on; when a new one is answered at their seat, open its page. Our own script, no CDN.
(function () {
  "use strict";
  var box = document.querySelector("[data-call-pop]");
  if (!box || !window.fetch) return;
  var seen = null;
  function poll() {
    fetch("/api/calls/current", { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (call) {
        if (call && call.id && seen !== null && call.id !== seen) {
          window.location.href = "/hall/calls/" + call.id;
          return;
        }
        seen = call && call.id ? call.id : 0;
      })
      .catch(function () { /* the next poll tries again */ });
  }
  poll();
  window.setInterval(poll, 3000);
})();

// The call page's specialist transfer targets: a search box narrows the rows (number, name, who is
// on duty) and hides a group left empty. The buttons work without it.
(function () {
  "use strict";
  var box = document.querySelector("[data-target-filter]");
  var list = document.querySelector("[data-target-list]");
  if (!box || !list) return;
  box.addEventListener("input", function () {
    var q = box.value.trim().toLowerCase();
    list.querySelectorAll(".target-group").forEach(function (group) {
      var shown = 0;
      group.querySelectorAll("[data-target-text]").forEach(function (row) {
        var hit = !q || row.getAttribute("data-target-text").toLowerCase().indexOf(q) !== -1;
        row.hidden = !hit;
        if (hit) shown += 1;
      });
      group.hidden = shown === 0;
    });
  });
  // Enter in the search box filters; it must not submit the transfer form with the first button.
  box.addEventListener("keydown", function (e) { if (e.key === "Enter") e.preventDefault(); });
})();
