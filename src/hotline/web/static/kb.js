// Intake: knowledge suggestions while the request is typed (接诉即答). The form works without this
// file: its "查找知识" and "采用此答复" buttons ask the server instead.
(function () {
  "use strict";

  var DELAY_MS = 400;   // wait for a pause in typing before searching
  var MIN_CHARS = 4;    // fewer characters say too little to search on

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = text;
    if (cls) node.className = cls;
    return node;
  }

  // The API's snippet is HTML-escaped text with <mark> around matches: keep only text and <mark>.
  // (DOMParser documents are inert: nothing in them loads or runs.)
  function snippetNode(html) {
    var out = el("div", null, "kb-snippet small");
    var root = new DOMParser().parseFromString("<div>" + html + "</div>", "text/html").body.firstChild;
    root.childNodes.forEach(function (n) {
      out.append(n.nodeName === "MARK" ? el("mark", n.textContent) : (n.textContent || ""));
    });
    return out;
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) {
        if (!r.ok) throw new Error(String(r.status));
        return r.json();
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form[data-intake]");
    var box = form && form.querySelector("[data-kb-suggest]");
    if (!box) return;
    var title = form.querySelector("input[name=title]");
    var content = form.querySelector("textarea[name=content]");
    var place = form.querySelector("select[name=jurisdiction_code]");
    var keyInput = form.querySelector("[data-kb-key]");
    var chosen = form.querySelector("[data-kb-chosen]");
    var citation = form.querySelector("[data-kb-citation]");
    var answer = form.querySelector("textarea[name=answer]");
    var source = form.querySelector("input[name=answer_source]");
    var answerStep = form.querySelector("input[name=next_step][value=answer]");
    var timer = null;
    var lastQuery = "";
    var seq = 0;

    function query() {
      return (title.value + " " + content.value).trim().slice(0, 300);
    }

    function show(hits) {
      if (!hits.length) {
        box.replaceChildren(el("p", "没有找到相关知识", "muted small"));
        return;
      }
      var list = el("ol");
      hits.forEach(function (h) {
        var li = el("li");
        li.setAttribute("data-key", h.key);
        var pick = el("button", "采用此答复", "secondary small kb-pick");
        pick.type = "button";
        pick.addEventListener("click", function () { choose(h.key); });
        li.append(el("strong", h.title), " ", el("span", h.key + " 第 " + h.version + " 版", "muted small"),
                  snippetNode(h.snippet), pick);
        list.append(li);
      });
      box.replaceChildren(el("h3", "可能相关的知识"), list);
    }

    function search(force) {
      var q = query();
      if (q.replace(/\s/g, "").length < MIN_CHARS) {
        if (force) box.replaceChildren(el("p", "请先填写诉求标题或内容", "muted small"));
        return;
      }
      if (q === lastQuery && !force) return;
      lastQuery = q;
      var mine = ++seq;  // an older, slower answer must not replace a newer one
      var url = "/api/v1/kb/search?limit=5&q=" + encodeURIComponent(q);
      if (place && place.value) url += "&jurisdiction=" + encodeURIComponent(place.value);
      getJSON(url).then(function (hits) {
        if (mine === seq) show(hits);
      }).catch(function () {
        if (mine === seq) box.replaceChildren(el("p", "知识查找失败，请点击“查找知识”重试", "muted small"));
      });
    }

    // Answer directly with the article's version in force; the server checks and cites it at submit.
    function choose(key) {
      getJSON("/api/v1/kb/articles/by-key/" + encodeURIComponent(key)).then(function (a) {
        var v = a.published_version;
        if (!v) {
          window.alert("该知识条目已下线，不能引用");
          return;
        }
        var typed = answer.value.trim();
        if (!typed || typed === v.answer || window.confirm("用知识条目的答复口径替换已填写的答复内容吗？")) {
          answer.value = v.answer;
        }
        var cite = "知识库 " + a.key + " 第" + v.number + "版《" + v.title + "》";
        keyInput.value = a.key;
        source.value = cite.slice(0, 300);
        citation.textContent = cite;
        chosen.hidden = false;
        answerStep.checked = true;
        answerStep.dispatchEvent(new Event("change", { bubbles: true }));
        answer.scrollIntoView({ behavior: "smooth", block: "center" });
      }).catch(function () {
        window.alert("读取知识条目失败，请稍后重试");
      });
    }

    function later() {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { search(false); }, DELAY_MS);
    }

    title.addEventListener("input", later);
    content.addEventListener("input", later);
    if (place) place.addEventListener("change", function () { lastQuery = ""; later(); });
    var find = form.querySelector("[data-kb-find]");
    if (find) find.addEventListener("click", function (e) { e.preventDefault(); search(true); });
    var clear = form.querySelector("[data-kb-clear]");
    if (clear) clear.addEventListener("click", function (e) {
      e.preventDefault();
      keyInput.value = "";
      source.value = "";
      chosen.hidden = true;
    });
  });
})();
