// AlphaTree: on a phone a table's rows stack into cards (site/css/alphatree.css, max-width 44.9375em);
// this labels each cell with its column's heading so a stacked cell still says what it is.
(function () {
  function label(root) {
    root.querySelectorAll(".md-typeset table:not([class])").forEach(function (table) {
      var heads = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
        return th.textContent.trim();
      });
      if (!heads.length) return;
      table.classList.add("at-stackable");
      table.querySelectorAll("tbody tr").forEach(function (tr) {
        Array.prototype.forEach.call(tr.children, function (cell, i) {
          if (heads[i]) cell.setAttribute("data-label", heads[i]);
        });
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { label(document); });
  } else {
    label(document);
  }
})();
