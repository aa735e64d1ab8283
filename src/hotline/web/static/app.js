// hotline12345 pages: small progressive enhancements only; every page works without this file.
(function () {
  "use strict";

  var TZ_FORMAT = new Intl.DateTimeFormat("zh-CN", {
    timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit",
    minute: "2-digit", hour12: false
  });

  function localTime(iso) {
    var parts = {};
    TZ_FORMAT.formatToParts(new Date(iso)).forEach(function (p) { parts[p.type] = p.value; });
    return parts.year + "-" + parts.month + "-" + parts.day + " " + parts.hour + ":" + parts.minute;
  }

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = text;
    if (cls) node.className = cls;
    return node;
  }

  // One submission per form: a double click does not register a request twice.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var confirmText = event.submitter && event.submitter.getAttribute("data-confirm");
    if (confirmText && !window.confirm(confirmText)) { event.preventDefault(); return; }
    if (form.dataset.submitting) { event.preventDefault(); return; }
    if (event.submitter && event.submitter.hasAttribute("data-history-button")) return;
    form.dataset.submitting = "1";
  });
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-submitting]").forEach(function (f) { delete f.dataset.submitting; });
  });

  // Intake: show only the inputs of the chosen next step.
  function syncSteps(form) {
    var chosen = form.querySelector("input[name=next_step]:checked");
    form.querySelectorAll("[data-step]").forEach(function (box) {
      box.hidden = !chosen || chosen.value !== box.getAttribute("data-step");
    });
  }

  // Intake: the requester's earlier tickets, by phone number, through the JSON API (page session).
  function loadHistory(form, box) {
    var phone = form.querySelector("input[name=requester_phone]").value.trim();
    if (!/^[0-9+\-]{3,20}$/.test(phone)) {
      box.replaceChildren(el("p", "请输入有效的联系电话后再查询", "muted small"));
      return;
    }
    box.replaceChildren(el("p", "正在查询…", "muted small"));
    fetch("/api/v1/tickets?page_size=10&phone=" + encodeURIComponent(phone), {
      credentials: "same-origin", headers: { "Accept": "application/json" }
    }).then(function (r) {
      if (!r.ok) throw new Error(r.status);
      return r.json();
    }).then(function (data) {
      var title = el("h3", "该号码的历史工单（共 " + data.total + " 件）");
      if (!data.items.length) {
        box.replaceChildren(title, el("p", "暂无工单", "empty"));
        return;
      }
      var list = el("ul", null, "history-list");
      data.items.forEach(function (t) {
        var li = el("li");
        var a = el("a", t.number, "num");
        a.href = "/tickets/" + encodeURIComponent(t.number);
        a.target = "_blank";
        li.append(a, " ", el("span", t.state_label, "state st-" + t.state), " ", el("span", t.title),
                  " ", el("span", localTime(t.created_at), "muted small"));
        list.append(li);
      });
      box.replaceChildren(title, list);
    }).catch(function () {
      box.replaceChildren(el("p", "历史工单查询失败，请稍后重试", "muted small"));
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form[data-intake]");
    if (!form) return;
    syncSteps(form);
    form.querySelectorAll("input[name=next_step]").forEach(function (r) {
      r.addEventListener("change", function () { syncSteps(form); });
    });
    var box = form.querySelector("[data-history]");
    var button = form.querySelector("[data-history-button]");
    var phone = form.querySelector("input[name=requester_phone]");
    if (button && box) {
      button.addEventListener("click", function (e) { e.preventDefault(); loadHistory(form, box); });
      phone.addEventListener("change", function () { if (phone.value.trim()) loadHistory(form, box); });
    }
  });
})();
