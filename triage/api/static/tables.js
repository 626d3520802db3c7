// A table wider than the screen (a phone at 390 px) scrolls inside its own box, so the page never
// scrolls sideways. The box is a focusable, labelled region: keyboards can scroll it too (WCAG
// 2.1.1, axe's scrollable-region-focusable). Tables that fit are left alone.
(function () {
  "use strict";

  function label(table) {
    if (table.getAttribute("aria-label")) return table.getAttribute("aria-label");
    if (table.caption) return table.caption.textContent.trim();
    var el = table.previousElementSibling;
    while (el && !/^H[1-6]$/.test(el.tagName)) el = el.previousElementSibling;
    return (el ? el.textContent.trim() + ": " : "") + "table, scrolls sideways";
  }

  function fit() {
    document.querySelectorAll("main table").forEach(function (table) {
      var box = table.parentElement;
      var wrapped = box.classList.contains("table-scroll");
      var room = (wrapped ? box.parentElement : box).clientWidth;
      if (!wrapped && table.scrollWidth > room + 1) {
        box = document.createElement("div");
        box.className = "table-scroll";
        box.tabIndex = 0;
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", label(table));
        table.parentElement.insertBefore(box, table);
        box.appendChild(table);
      }
    });
  }

  document.addEventListener("DOMContentLoaded", fit);
  var due = null;
  window.addEventListener("resize", function () { clearTimeout(due); due = setTimeout(fit, 150); });
})();
