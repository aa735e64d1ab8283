// Intake: what the dispatch suggestion reads in the request while it is typed — scope screening
// (an emergency to transfer, a matter with its own channel), the place, the category, hints of
// urgency and of an enterprise request, the catalogue's lead unit and open tickets on the same
// matter — each proposal a click away from the form. The form works without this file: the
// screening is done again, and must be confirmed, when the request is submitted.
(function () {
  "use strict";

  var DELAY_MS = 700;   // wait for a pause in typing
  var MIN_CHARS = 4;    // fewer characters say too little

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = text;
    if (cls) node.className = cls;
    return node;
  }

  function pct(x) { return Math.round(x * 100) + "%"; }

  function button(label, onClick) {
    var b = el("button", label, "secondary small");
    b.type = "button";
    b.addEventListener("click", onClick);
    return b;
  }

  // Set a select to a value it offers; false when it has no such option.
  function choose(select, value) {
    if (!select || value === null || value === undefined) return false;
    var found = Array.prototype.some.call(select.options, function (o) { return o.value === String(value); });
    if (found) {
      select.value = String(value);
      select.dispatchEvent(new Event("change", { bubbles: true }));
    }
    return found;
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form[data-intake]");
    var box = form && form.querySelector("[data-intake-hints]");
    if (!box) return;
    var field = function (name) { return form.querySelector("[name=" + name + "]"); };
    var title = field("title"), content = field("content"), address = field("address"),
        circumstances = field("circumstances");
    var token = field("csrf_token");
    var timer = null, last = "", seq = 0;

    function line(label, body) {
      var row = el("div", null, "hint-line");
      row.append(el("strong", label + "："));
      body.forEach(function (part) { row.append(part); });
      return row;
    }

    function show(s) {
      var parts = [];
      (s.screening || []).forEach(function (h) {
        var alert = el("div", null, "errors");
        alert.setAttribute("role", "alert");
        alert.setAttribute("data-screening", h.code);
        alert.append(el("strong", (h.kind === "emergency" ? "紧急：" : "受理范围：") + h.label +
                                  (h.transfer_to ? "（转 " + h.transfer_to + "）" : "")),
                     el("div", h.advice), el("small", "依据：" + h.reason));
        parts.push(alert);
      });
      if (s.place && s.place.source === "text") {
        var from = function (p) { return p.read_from === "address" ? "地址中的" : ""; };
        var placeBits = [el("span", (s.place.full_name || s.place.name) + "（从" + from(s.place) +
                                    (s.place.named ? "地名库地名" : "") + "“" +
                                    s.place.matched + "”识别，把握 " + pct(s.place.confidence) + "）")];
        if (s.place.code) {
          placeBits.push(" ", button("采用属地", function () { choose(field("jurisdiction_code"), s.place.code); }));
        }
        (s.place.alternatives || []).forEach(function (a) {  // other places the text also names
          placeBits.push(el("span", " 或 " + (a.full_name || a.name) + "（" + from(a) + "“" + a.matched + "”） "),
                         button("采用", function () { choose(field("jurisdiction_code"), a.code); }));
        });
        parts.push(line("属地", placeBits));
      }
      if (s.kind && s.kind.code) {  // proposed only while no kind is chosen
        parts.push(line("类型", [el("span", s.kind.name + "（模型预测，把握 " + pct(s.kind.confidence) + "）"), " ",
          button("采用类型", function () { choose(field("kind"), s.kind.code); })]));
      }
      if (s.category && s.category.source === "model" && !s.category.proposed) {
        parts.push(line("分类", [el("span", "模型无法判断（最可能：" + s.category.name + "，把握 " +
                                            pct(s.category.confidence) + "），请人工选择", "muted")]));
      } else if (s.category && s.category.source === "model") {
        var catBits = [el("span", s.category.name + "（模型预测，把握 " + pct(s.category.confidence) + "）")];
        if (s.category.code) {
          catBits.push(" ", button("采用分类", function () { choose(field("category_code"), s.category.code); }));
        }
        parts.push(line("分类", catBits));
      }
      var h = s.hints;
      if (h && (h.urgency || h.enterprise)) {
        var hintBits = [];
        if (h.urgency) {
          hintBits.push(el("span", "疑似" + (h.urgency === "critical" ? "特急" : "紧急") + "（“" +
                                   h.urgency_words.join("”“") + "”） "),
                        button("设为" + (h.urgency === "critical" ? "特急" : "紧急"),
                               function () { choose(field("urgency"), h.urgency); }), " ");
        }
        if (h.enterprise) {
          hintBits.push(el("span", "疑似涉企诉求（“" + h.enterprise_words.join("”“") + "”） "),
                        button("标为一企来", function () { field("is_enterprise").checked = true; }));
        }
        parts.push(line("提示", hintBits));
      }
      if (s.decision) {
        var d = s.decision;
        var leadBits = [el("span", d.lead_unit_name + " "), el("span", d.explanation, "muted small"), " "];
        if (d.tentative) {  // an emergency, or a unit chosen by the place alone: a hint, not one click
          leadBits.push(el("span", d.tentative + " ", "tag tag-urgent"),
                        button("仅选为主办", function () { choose(field("lead_unit_id"), d.lead_unit_id); }));
        } else {
          leadBits.push(button("采用并派单", function () {
            var step = form.querySelector("input[name=next_step][value=dispatch]");
            if (choose(field("lead_unit_id"), d.lead_unit_id) && step) {
              // the place and category the proposal stood on go with it, where none is chosen yet
              Object.keys(d.relied_on || {}).forEach(function (name) {
                var f = field(name);
                if (f && !f.value) choose(f, d.relied_on[name]);
              });
              step.checked = true;
              step.dispatchEvent(new Event("change", { bubbles: true }));
            }
          }));
        }
        parts.push(line("建议主办", leadBits));
      }
      var dups = (s.duplicates && s.duplicates.candidates) || [];
      if (dups.length) {
        var list = el("ul", null, "small");
        dups.forEach(function (c) {
          var li = el("li");
          var a = el("a", c.number);
          a.href = "/tickets/" + encodeURIComponent(c.number);
          a.target = "_blank";
          li.append(a, " " + c.title + "（相似度 " + pct(c.similarity) + "）");
          list.append(li);
        });
        parts.push(line("疑似重复" + (s.duplicates.burst ? "（集中反映）" : ""), [list]));
      }
      if (!parts.length) parts.push(el("p", "暂无提示", "muted small"));
      box.replaceChildren.apply(box, [el("h3", "受理提示")].concat(parts));
    }

    function ask() {
      var body = { title: title.value.trim().slice(0, 200), content: content.value.trim().slice(0, 5000),
                   address: address.value.trim().slice(0, 300) || null,
                   circumstances: circumstances ? circumstances.value.trim().slice(0, 5000) || null : null,
                   // what the operator has already chosen counts as known (a place, a category, a kind)
                   jurisdiction_code: field("jurisdiction_code").value || null,
                   category_code: field("category_code").value || null,
                   kind: field("kind").value || null };
      var key = JSON.stringify(body);
      if ((body.title + body.content).replace(/\s/g, "").length < MIN_CHARS || key === last) return;
      last = key;
      var mine = ++seq;  // an older, slower answer must not replace a newer one
      fetch("/api/v1/dispatch/suggest", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "Accept": "application/json",
                   "X-CSRF-Token": token ? token.value : "" },
        body: key
      }).then(function (r) {
        if (!r.ok) throw new Error(String(r.status));
        return r.json();
      }).then(function (s) {
        if (mine === seq) show(s);
      }).catch(function () {
        if (mine === seq) box.replaceChildren(el("p", "受理提示暂不可用（提交时仍会检查受理范围）", "muted small"));
      });
    }

    function later() {
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, DELAY_MS);
    }

    [title, content, address, circumstances].forEach(function (input) {
      if (input) input.addEventListener("input", later);
    });
    ["jurisdiction_code", "category_code", "kind"].forEach(function (name) {
      var select = field(name);
      if (select) select.addEventListener("change", later);
    });
    if ((title.value + content.value).trim()) ask();  // a form shown again after an error
  });
})();
