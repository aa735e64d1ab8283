// The chat assistant page works by plain form posts; this only smooths it: the newest reply is
// scrolled into view with the question box focused, and the send button says it is searching.
// (One submission per form is app.js's job for every page.)
(function () {
  "use strict";
  function ready() {
    var last = document.querySelector("[data-chat-log] [data-last]");
    var input = document.getElementById("chat-q");
    if (last && last.scrollIntoView) last.scrollIntoView({block: "nearest"});
    if (input && (last || input.value)) input.focus({preventScroll: true});
    var form = document.querySelector("[data-chat-form]");
    var send = form && form.querySelector("[data-chat-send]");
    if (!send) return;
    var label = send.textContent;
    form.addEventListener("submit", function (ev) {
      if (ev.submitter === send && input && input.value.trim()) send.textContent = "正在查找…";
    });
    window.addEventListener("pageshow", function () { send.textContent = label; });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();
