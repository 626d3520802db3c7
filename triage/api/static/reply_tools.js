// Reply tools in the inbox: the live length counter, canned replies from the keyboard (; in the
// reply box), and bulk selection (checkboxes, shift-click ranges, x, select all visible).
(function () {
  "use strict";

  function csrf() {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRF-Token"] || ""; }
    catch (e) { return ""; }
  }
  function postJSON(url, body) {
    return fetch(url, {method: "POST", credentials: "same-origin", body: JSON.stringify(body),
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf()}})
      .then(function (r) { return r.json().then(function (data) { return {ok: r.ok, data: data}; }); });
  }

  // --- the counter: the server measures as the channel does (X weighs URLs and CJK) ----------
  var counting = {};
  function count(box) {
    var id = box.dataset.item;
    clearTimeout(counting[id]);
    counting[id] = setTimeout(function () {
      postJSON("/api/messages/" + id + "/reply/length", {text: box.value}).then(function (res) {
        var out = document.getElementById("reply-count-" + id);
        if (!out || !res.ok) return;
        var d = res.data;
        function n(x) { return x.toLocaleString("en"); }
        out.textContent = d.limit === null ? n(d.length) + " characters (no limit)"
          : n(d.length) + " / " + n(d.limit) + (d.weighted ? " (X weighted)" : "") +
            (d.over ? ": " + n(d.length - d.limit) + " over" : "");
        out.classList.toggle("over", !!d.over);
        box.setAttribute("aria-invalid", d.over ? "true" : "false");
      });
    }, 150);
  }
  document.addEventListener("input", function (evt) {
    if (evt.target.classList && evt.target.classList.contains("reply-text-box")) count(evt.target);
  });
  document.addEventListener("focusin", function (evt) {
    if (evt.target.classList && evt.target.classList.contains("reply-text-box")) count(evt.target);
  });

  // --- canned replies --------------------------------------------------------------------
  var library = {};
  function picker(id) { return document.getElementById("canned-picker-" + id); }
  function box(id) { return document.getElementById("reply-text-" + id); }

  function paint(id) {
    var p = picker(id), list = p.querySelector(".canned-list");
    var q = p.querySelector(".canned-filter").value.toLowerCase();
    list.textContent = "";
    (library[id] || []).filter(function (c) {
      return !q || c.name.toLowerCase().indexOf(q) >= 0 || c.text.toLowerCase().indexOf(q) >= 0;
    }).forEach(function (c, k) {
      var li = document.createElement("li");
      li.setAttribute("role", "option");
      li.dataset.text = c.text;
      li.className = k === 0 ? "active" : "";
      li.setAttribute("aria-selected", k === 0 ? "true" : "false");
      var name = document.createElement("strong");
      name.textContent = c.name;
      var text = document.createElement("span");
      text.textContent = " " + c.text.slice(0, 120);
      li.appendChild(name);
      li.appendChild(text);
      list.appendChild(li);
    });
    if (!list.children.length) {
      var none = document.createElement("li");
      none.className = "muted";
      none.textContent = (library[id] || []).length ? "no match" : "no canned replies yet (leads add them on Canned replies)";
      list.appendChild(none);
    }
  }

  function openPicker(id) {
    var p = picker(id);
    if (!p) return;
    p.hidden = false;
    var filter = p.querySelector(".canned-filter");
    filter.value = "";
    var load = library[id] ? Promise.resolve() :
      fetch("/api/messages/" + id + "/canned", {credentials: "same-origin"})
        .then(function (r) { return r.ok ? r.json() : {canned: []}; })
        .then(function (d) { library[id] = d.canned; });
    load.then(function () { paint(id); });
    filter.focus();
  }
  function closePicker(id, refocus) {
    var p = picker(id);
    if (p) p.hidden = true;
    if (refocus && box(id)) box(id).focus();
  }
  function moveActive(id, step) {
    var items = Array.prototype.slice.call(picker(id).querySelectorAll("li[role=option]"));
    if (!items.length) return;
    var at = items.findIndex(function (li) { return li.classList.contains("active"); });
    var next = items[Math.max(0, Math.min(items.length - 1, at + step))];
    items.forEach(function (li) { li.classList.toggle("active", li === next); li.setAttribute("aria-selected", li === next ? "true" : "false"); });
    next.scrollIntoView({block: "nearest"});
  }
  function insert(id, li) {
    var target = box(id);
    if (!li || !target) return;
    closePicker(id, true);
    var start = target.selectionStart, end = target.selectionEnd;
    target.setRangeText(li.dataset.text, start, end, "end");  // plain text: never parsed as HTML
    target.dispatchEvent(new Event("input", {bubbles: true}));
  }

  document.addEventListener("keydown", function (evt) {
    var t = evt.target;
    if (t.classList && t.classList.contains("reply-text-box") && evt.key === ";" &&
        !evt.ctrlKey && !evt.metaKey && !evt.altKey) {
      var before = t.value.slice(0, t.selectionStart);
      if (before === "" || /\s$/.test(before)) {  // at the start of a word: a canned reply
        evt.preventDefault();
        openPicker(t.dataset.item);
      }
      return;
    }
    if (t.classList && t.classList.contains("canned-filter")) {
      var id = t.closest(".canned-picker").id.replace("canned-picker-", "");
      if (evt.key === "ArrowDown" || evt.key === "ArrowUp") { evt.preventDefault(); moveActive(id, evt.key === "ArrowDown" ? 1 : -1); }
      else if (evt.key === "Enter") { evt.preventDefault(); evt.stopPropagation(); insert(id, picker(id).querySelector("li.active")); }
      else if (evt.key === "Escape") { evt.preventDefault(); evt.stopPropagation(); closePicker(id, true); }
    }
  }, true);
  document.addEventListener("input", function (evt) {
    if (evt.target.classList && evt.target.classList.contains("canned-filter")) {
      paint(evt.target.closest(".canned-picker").id.replace("canned-picker-", ""));
    }
  });
  document.addEventListener("click", function (evt) {
    var opener = evt.target.closest && evt.target.closest(".canned-open");
    if (opener) { openPicker(opener.dataset.item); return; }
    var li = evt.target.closest && evt.target.closest(".canned-list li[role=option]");
    if (li) insert(li.closest(".canned-picker").id.replace("canned-picker-", ""), li);
  });

  // --- bulk selection ----------------------------------------------------------------------
  var lastPicked = null;
  function picks() { return Array.prototype.slice.call(document.querySelectorAll("#items input.pick")); }
  function chosen() { return picks().filter(function (c) { return c.checked; }).map(function (c) { return parseInt(c.value, 10); }); }
  function refreshBar() {
    var n = chosen().length, all = picks();
    var label = document.getElementById("bulk-count");
    if (label) label.textContent = n + " selected";
    document.querySelectorAll("[data-bulk]").forEach(function (b) { b.disabled = n === 0; });
    var every = document.getElementById("pick-all");
    if (every) { every.checked = all.length > 0 && n === all.length; every.indeterminate = n > 0 && n < all.length; }
    all.forEach(function (c) { c.closest("li.item").classList.toggle("picked", c.checked); });
  }
  document.addEventListener("click", function (evt) {
    var c = evt.target;
    if (!(c.classList && c.classList.contains("pick"))) return;
    var all = picks();
    if (evt.shiftKey && lastPicked && all.indexOf(lastPicked) >= 0) {  // a range, as in a mail client
      var a = all.indexOf(lastPicked), b = all.indexOf(c);
      all.slice(Math.min(a, b), Math.max(a, b) + 1).forEach(function (x) { x.checked = c.checked; });
    }
    lastPicked = c;
    refreshBar();
  });
  document.addEventListener("change", function (evt) {
    if (evt.target.id === "pick-all") {
      picks().forEach(function (c) { c.checked = evt.target.checked; });
      refreshBar();
    }
  });
  document.addEventListener("keydown", function (evt) {
    if (evt.key !== "x" || evt.ctrlKey || evt.metaKey || evt.altKey) return;
    var t = evt.target;
    if (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName)) return;
    var row = document.querySelector("#items li.item.selected");
    var c = row && row.querySelector("input.pick");
    if (!c) return;
    evt.preventDefault();
    c.checked = !c.checked;
    lastPicked = c;
    refreshBar();
  });

  function rowHTML(id) {
    return fetch("/inbox/" + id + "/row", {credentials: "same-origin"}).then(function (r) { return r.ok ? r.text() : null; });
  }
  function redraw(id) {
    var old = document.getElementById("item-" + id);
    if (!old) return;
    rowHTML(id).then(function (html) {
      if (!html) return;
      var tpl = document.createElement("template");
      tpl.innerHTML = html.trim();
      var row = tpl.content.firstElementChild;
      if (old.classList.contains("selected")) row.classList.add("selected");
      old.replaceWith(row);
      if (window.htmx) window.htmx.process(row);
      refreshBar();
    });
  }
  function report(res) {
    var out = document.getElementById("bulk-result");
    if (!out) return;
    out.textContent = "";
    var d = res.data;
    var head = document.createElement("p");
    if (!res.ok) { head.className = "error"; head.textContent = (d && d.detail) ? String(typeof d.detail === "string" ? d.detail : JSON.stringify(d.detail)) : "failed"; out.appendChild(head); return; }
    head.textContent = d.action + ": " + d.done + " done" + (d.failed ? ", " + d.failed + " not:" : "");
    out.appendChild(head);
    d.results.filter(function (r) { return !r.ok; }).forEach(function (r) {
      var p = document.createElement("p");
      p.className = "error bulk-failed";
      p.dataset.id = r.id;
      p.textContent = "item " + r.id + ": " + r.error;
      out.appendChild(p);
    });
  }
  document.addEventListener("click", function (evt) {
    var b = evt.target.closest && evt.target.closest("[data-bulk]");
    if (!b) return;
    var body = {ids: chosen(), action: b.dataset.bulk};
    if (!body.ids.length) return;
    if (body.action === "snooze") body.minutes = parseInt(document.getElementById("bulk-minutes").value, 10);
    if (body.action === "assign") body.assignee = (document.getElementById("bulk-assignee") || {}).value || "";
    postJSON("/api/inbox/bulk", body).then(function (res) {
      report(res);
      if (res.ok) res.data.results.forEach(function (r) { redraw(r.id); });
    });
  });
  document.addEventListener("DOMContentLoaded", refreshBar);
})();
