// The inbox from the keyboard (j/k, o, c, e, r, s, l, /, ?) and live updates over server-sent
// events. Progressive enhancement: every action is a plain form or htmx button without this file.
(function () {
  "use strict";

  function rows() { return Array.prototype.slice.call(document.querySelectorAll("#items li.item")); }
  // The chosen item's id, not its element: swaps replace rows (an action's out-of-band row, a live
  // update), and a key pressed between a swap and its settle must not be undone by the settle.
  var chosen = null;
  function current() {
    return (chosen && document.getElementById("item-" + chosen))
      || document.querySelector("#items li.item.selected") || rows()[0] || null;
  }
  function mark(row) { rows().forEach(function (r) { r.classList.toggle("selected", r === row); }); }
  function detail() { return document.getElementById("detail"); }
  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }

  function select(row, focus) {
    if (!row) return;
    chosen = row.dataset.id;
    mark(row);
    var link = row.querySelector("a.open");
    if (focus !== false && link) link.focus();
    row.scrollIntoView({block: "nearest"});
  }

  function move(step) {
    var all = rows();
    if (!all.length) return;
    var at = all.indexOf(current());
    select(all[Math.max(0, Math.min(all.length - 1, at + step))]);
  }

  function open(row) {
    var link = row && row.querySelector("a.open");
    if (link) link.click();
  }

  // The detail pane when it shows the selected row's item, else null.
  function paneFor(row) {
    var pane = detail();
    return pane && row && pane.dataset.id === row.dataset.id ? pane : null;
  }

  function press(key) {
    var row = current(), pane = paneFor(row);
    var scope = pane || row;
    var button = scope && scope.querySelector('[data-key="' + key + '"]');
    if (button) { button.click(); return true; }
    return false;
  }

  function inPane(selector, then) {
    // r, s and l work in the open conversation: open the selected item first if needed.
    var row = current(), pane = paneFor(row) || (row ? null : detail());
    if (pane) { then(pane); return; }
    if (!row) return;
    document.body.addEventListener("htmx:afterSettle", function once(evt) {
      if (evt.target.id !== "detail") return;
      document.body.removeEventListener("htmx:afterSettle", once);
      then(detail());
    });
    open(row);
  }

  function toggleHelp(show) {
    var help = document.getElementById("keys-help");
    if (!help) return;
    help.hidden = show === undefined ? !help.hidden : !show;
    if (!help.hidden) help.focus(); else { var row = current(); if (row) select(row); }
  }

  var KEYS = {
    "j": function () { move(1); },
    "k": function () { move(-1); },
    "o": function () { open(current()); },
    "Enter": function () { open(current()); },
    "c": function () { press("c"); },
    "e": function () { press("e"); },
    "r": function () {
      inPane(".reply-form", function (pane) {
        var form = pane.querySelector("details.reply-form");
        if (!form) return;
        form.open = true;
        var text = form.querySelector("textarea");
        if (text) text.focus();
      });
    },
    "s": function () {
      inPane(".snooze", function (pane) {
        var choice = pane.querySelector("form.snooze select");
        if (choice) choice.focus();
      });
    },
    "l": function () {
      inPane(".correct", function (pane) {
        var box = pane.querySelector("details.correct");
        if (!box) return;
        box.open = true;
        var field = box.querySelector("select");
        if (field) field.focus();
      });
    },
    "/": function () { var s = document.getElementById("search"); if (s) { s.focus(); s.select(); } },
    "?": function () { toggleHelp(); },
  };

  document.addEventListener("keydown", function (evt) {
    // Ctrl+Enter (Cmd+Enter) sends the reply being written, as in most helpdesks.
    if (evt.key === "Enter" && (evt.ctrlKey || evt.metaKey) && evt.target.tagName === "TEXTAREA"
        && evt.target.form) {
      evt.preventDefault();
      evt.target.form.requestSubmit();
      return;
    }
    if (evt.ctrlKey || evt.metaKey || evt.altKey) return;
    if (evt.key === "Escape") {
      var help = document.getElementById("keys-help");
      if (help && !help.hidden) { toggleHelp(false); evt.preventDefault(); return; }
      if (typing(document.activeElement)) { document.activeElement.blur(); select(current()); }
      return;
    }
    if (typing(evt.target)) {
      // Enter on the snooze or relabel choice submits its form, as a click on its button would.
      if (evt.key === "Enter" && evt.target.tagName === "SELECT" && evt.target.form) {
        evt.preventDefault();
        evt.target.form.requestSubmit();
      }
      return;
    }
    if (!document.getElementById("items")) return;  // shortcuts belong to the inbox pages
    // Enter on a focused link or button keeps its own meaning, except on the row's link.
    if (evt.key === "Enter" && evt.target.closest && evt.target.closest("button, summary, a:not(.open)")) return;
    var act = KEYS[evt.key];
    if (!act) return;
    evt.preventDefault();
    act();
  });

  document.addEventListener("click", function (evt) {
    var t = evt.target;
    if (t.closest && t.closest(".close-help")) { toggleHelp(false); return; }
    var row = t.closest && t.closest("#items li.item");
    if (row) select(row, false);
  });

  // After htmx swaps a row or the pane, keep the selection where it was.
  document.addEventListener("htmx:afterSettle", function () {
    var pane = detail();
    var row = current() || (pane && document.getElementById("item-" + pane.dataset.id));
    if (!row) return;
    mark(row);
    // The swapped-out control had focus: put it on the row, so keys and the outline carry on.
    if (!document.activeElement || document.activeElement === document.body) select(row);
  });
  // Back and forward restore another page: its own selection counts, not the one remembered.
  document.addEventListener("htmx:historyRestore", function () { chosen = null; });

  document.addEventListener("DOMContentLoaded", function () {
    var row = current();
    if (row) row.classList.add("selected");
  });

  // --- live: server-sent events (fed by Redis pub/sub) and presence --------------------------
  function me() { var who = document.querySelector(".who span"); return who ? who.textContent.split(" · ")[0] : ""; }
  function csrf() {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRF-Token"] || ""; }
    catch (e) { return ""; }
  }
  function liveState(text, ok) {
    var el = document.getElementById("live-state");
    if (!el) return;
    el.hidden = !text;
    el.textContent = text || "";
    el.classList.toggle("ok", !!ok);
  }

  function fetchRow(id) {
    return fetch("/inbox/" + id + "/row", {credentials: "same-origin"}).then(function (r) {
      return r.ok ? r.text() : null;
    }).then(function (html) {
      if (!html) return null;
      var box = document.createElement("template");
      box.innerHTML = html.trim();
      return box.content.firstElementChild;
    });
  }

  function replaceRow(id) {
    var old = document.getElementById("item-" + id);
    if (!old) return;
    fetchRow(id).then(function (row) {
      if (!row) return;
      if (old.classList.contains("selected") || String(id) === chosen) row.classList.add("selected");
      old.replaceWith(row);
      if (window.htmx) window.htmx.process(row);
      paintPresence(id);
    });
  }

  function addRow(id) {
    var list = document.getElementById("items");
    var pane = document.querySelector(".workspace");
    // Only the unfiltered first page takes arrivals in place; other views say how many came.
    if (!list || document.getElementById("item-" + id) || !pane || pane.dataset.keep) return;
    fetchRow(id).then(function (row) {
      if (!row || document.getElementById("item-" + id) || !/status-(open|claimed)/.test(row.className)) return;
      var priority = parseFloat(row.dataset.priority), before = null;
      rows().some(function (r) { if (parseFloat(r.dataset.priority) < priority) { before = r; return true; } return false; });
      var empty = list.querySelector(".empty");
      if (empty) empty.remove();
      row.classList.add("arrived");
      list.insertBefore(row, before);
      if (window.htmx) window.htmx.process(row);
      var total = document.getElementById("total");
      if (total) {
        var n = parseInt(total.dataset.total, 10) + 1;
        total.dataset.total = n;
        total.textContent = n + " item" + (n === 1 ? "" : "s") + ", highest priority first";
      }
    });
  }

  var countsDue = null;
  function refreshCounts() {
    clearTimeout(countsDue);
    countsDue = setTimeout(function () {
      fetch("/inbox/counts", {credentials: "same-origin"}).then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data) return;
          Object.keys(data.counts).forEach(function (name) {
            var el = document.querySelector('[data-count="' + name + '"]');
            if (el) el.textContent = data.counts[name];
          });
        });
    }, 300);
  }

  var present = {};
  function paintPresence(id) {
    var others = Object.keys(present[id] || {}).filter(function (u) { return u !== me(); });
    var text = others.map(function (u) { return u + " " + present[id][u]; }).join(", ");
    document.querySelectorAll('[data-presence="' + id + '"], [data-presence-detail="' + id + '"]')
      .forEach(function (el) { el.textContent = text; });
  }

  function onEvent(evt) {
    var data;
    try { data = JSON.parse(evt.data); } catch (e) { return; }
    if (data.type === "item") {
      if (data.by !== me()) replaceRow(data.id);
      refreshCounts();
    } else if (data.type === "new") {
      data.ids.forEach(addRow);
      refreshCounts();
    } else if (data.type === "presence") {
      present[data.id] = data.present;
      paintPresence(data.id);
    }
  }

  // The connection's state on the page: reconnecting, offline, closed, then back (and caught up:
  // the browser sends Last-Event-ID and the server replays what was missed, or says "resync").
  var source = null, lastId = "", wasLost = false, retry = null, planned = false;
  function lost(text, state) {
    wasLost = true;
    document.body.dataset.live = state;
    liveState(text, false);
  }
  function back(text) {
    document.body.dataset.live = "open";
    if (!wasLost) { liveState("", true); return; }
    wasLost = false;
    liveState(text || "Live again: missed updates caught up.", true);
    setTimeout(function () { if (document.body.dataset.live === "open") liveState("", true); }, 5000);
  }
  function reloadList() {
    // The log no longer holds what was missed: fetch this page's list and counts afresh.
    fetch(window.location.href, {credentials: "same-origin"}).then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("items");
        var list = document.getElementById("items");
        if (fresh && list) { list.innerHTML = fresh.innerHTML; if (window.htmx) window.htmx.process(list); }
        refreshCounts();
        back("Live again: the list was reloaded.");
      });
  }
  function connect() {
    if (!window.EventSource || !document.getElementById("items")) return;
    clearTimeout(retry);
    // A fresh EventSource cannot set Last-Event-ID itself: the query string carries it.
    source = new EventSource("/inbox/live" + (lastId ? "?last_event_id=" + encodeURIComponent(lastId) : ""));
    source.onopen = function () { back(); };
    source.onmessage = function (evt) {
      if (evt.lastEventId) lastId = evt.lastEventId;
      var data = null;
      try { data = JSON.parse(evt.data); } catch (e) { return; }
      if (data && data.type === "resync") { reloadList(); return; }
      if (data && data.type === "bye") { planned = true; return; }
      onEvent(evt);
    };
    source.onerror = function () {
      if (planned && source.readyState === EventSource.CONNECTING) { planned = false; return; }
      if (!navigator.onLine) {
        lost("Offline: live updates resume when the network is back.", "offline");
      } else if (source.readyState === EventSource.CLOSED) {
        // Refused (signed out, server error): the browser gives up, so try again ourselves.
        lost("Live updates stopped: retrying in 10 s (sign in again if this stays).", "closed");
        retry = setTimeout(connect, 10000);
      } else {
        lost("Live updates lost: reconnecting… (the list may be out of date)", "lost");
      }
    };
  }
  window.addEventListener("offline", function () {
    lost("Offline: live updates resume when the network is back.", "offline");
  });
  window.addEventListener("online", function () {
    if (source && source.readyState === EventSource.CLOSED) connect();
    else if (source && source.readyState === EventSource.CONNECTING) lost("Back online: reconnecting…", "lost");
  });

  // Presence: a heartbeat while a conversation is open, "replying" while its reply box has focus.
  var beat = null, beatState = "viewing";
  function sendPresence(state) {
    var pane = detail();
    if (!pane || !pane.dataset.id) return;
    var body = new URLSearchParams({state: state});
    fetch("/inbox/" + pane.dataset.id + "/presence", {method: "POST", credentials: "same-origin",
      headers: {"X-CSRF-Token": csrf()}, body: body});
  }
  function startBeat() {
    clearInterval(beat);
    sendPresence(beatState);
    beat = setInterval(function () { sendPresence(beatState); }, 10000);
  }
  document.addEventListener("focusin", function (evt) {
    if (evt.target.tagName === "TEXTAREA" && evt.target.closest("#detail")) { beatState = "replying"; sendPresence(beatState); }
  });
  document.addEventListener("focusout", function (evt) {
    if (evt.target.tagName === "TEXTAREA" && evt.target.closest("#detail")) { beatState = "viewing"; sendPresence(beatState); }
  });
  var shownId = null;
  function paneChanged() {
    var pane = detail();
    var id = pane && pane.dataset.id;
    if (id === shownId) return;
    if (shownId) {
      var body = new URLSearchParams({state: "left"});
      fetch("/inbox/" + shownId + "/presence", {method: "POST", credentials: "same-origin",
        headers: {"X-CSRF-Token": csrf()}, body: body});
    }
    shownId = id;
    beatState = "viewing";
    if (id) startBeat();
  }
  document.addEventListener("htmx:afterSettle", function () { paneChanged(); });
  document.addEventListener("DOMContentLoaded", function () { connect(); paneChanged(); });
})();

