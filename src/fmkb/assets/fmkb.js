// fmkb: click a column heading of a .fmkb-sortable table to sort it (click again to reverse).
(function () {
  "use strict";
  function cellValue(row, col) {
    var cell = row.children[col];
    return cell ? cell.textContent.trim() : "";
  }
  function compare(a, b) {
    var na = parseFloat(a), nb = parseFloat(b);
    if (!isNaN(na) && !isNaN(nb) && /^[\d.\-]/.test(a) && /^[\d.\-]/.test(b)) return na - nb;
    return a.localeCompare(b, undefined, { sensitivity: "base", numeric: true });
  }
  function sortBy(table, th, col) {
    var body = table.tBodies[0];
    if (!body) return;
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (r1, r2) {
      var d = compare(cellValue(r1, col), cellValue(r2, col));
      return ascending ? d : -d;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }
  function init() {
    document.querySelectorAll("table.fmkb-sortable").forEach(function (table) {
      if (!table.tHead || table.dataset.fmkbSortable) return;
      table.dataset.fmkbSortable = "1";
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {
        th.tabIndex = 0;
        th.addEventListener("click", function () { sortBy(table, th, col); });
        th.addEventListener("keydown", function (e) { if (e.key === "Enter") sortBy(table, th, col); });
      });
    });
  }
  // a Copy button on each paper card's BibTeX
  function copyButtons() {
    document.querySelectorAll("details.fmkb-bibtex").forEach(function (box) {
      if (box.dataset.fmkbCopy) return;
      box.dataset.fmkbCopy = "1";
      var button = document.createElement("button");
      button.type = "button";
      button.className = "fmkb-copy md-button";
      button.textContent = "Copy BibTeX";
      button.addEventListener("click", function () {
        var text = box.querySelector("code").textContent;
        navigator.clipboard.writeText(text).then(function () { button.textContent = "Copied"; });
      });
      box.insertAdjacentElement("afterend", button);
    });
  }
  function initAll() { init(); copyButtons(); }
  if (typeof document$ !== "undefined") { document$.subscribe(initAll); }  // Material instant navigation
  else if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", initAll); }
  else { initAll(); }
})();
