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
