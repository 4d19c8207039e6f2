// Leaderboard filters: hide ensembles, results trained with extra data, or all but one split, in the
// ranking table and in the state-of-the-art chart (each chart view is drawn at build time; this script only
// switches which one shows). Without this script every row shows, as the page is written.
(function () {
  "use strict";

  function keyOf(form) {
    var ens = form.querySelector('input[name="ensembles"]');
    var extra = form.querySelector('input[name="extra"]');
    var split = form.querySelector('select[name="split"]');
    return (
      (ens && !ens.checked ? "single" : "ensembles") + "-" +
      (extra && !extra.checked ? "own" : "extra") + "-" +
      (split ? split.value : "all")
    );
  }

  function apply(form) {
    var key = keyOf(form);
    var parts = key.split("-");
    var article = form.closest("article") || document;
    var shown = 0;
    var total = 0;
    article.querySelectorAll(".at-board-table span.at-row").forEach(function (mark) {
      var row = mark.closest("tr");
      var keep =
        (parts[0] === "ensembles" || mark.dataset.ensemble !== "1") &&
        (parts[1] === "extra" || mark.dataset.extra !== "1") &&
        (parts[2] === "all" || mark.dataset.split === parts[2]);
      total += 1;
      row.hidden = !keep;
      if (keep) {
        shown += 1;
        var rank = row.querySelector(".at-rank");
        if (rank) rank.textContent = String(shown);
      }
    });
    article.querySelectorAll(".at-board-chart [data-when]").forEach(function (el) {
      var on = el.dataset.when.split(" ").indexOf(key) >= 0;
      el.style.display = on ? "" : "none";
    });
    article.querySelectorAll(".at-board-chart circle[data-best]").forEach(function (c) {
      var best = c.dataset.best.split(" ").indexOf(key) >= 0;
      c.classList.toggle("at-best", best);
      c.setAttribute("fill", best ? "#d00000" : "#457b9d");
      c.setAttribute("r", best ? "5" : "4");
    });
    var count = form.querySelector(".at-board-count");
    if (count) count.textContent = shown === total ? "" : "Showing " + shown + " of " + total + " results.";
  }

  function init() {
    document.querySelectorAll("form.at-board-filters").forEach(function (form) {
      if (form.dataset.ready) return;
      form.dataset.ready = "1";
      form.addEventListener("change", function () { apply(form); });
      form.addEventListener("submit", function (ev) { ev.preventDefault(); });
      apply(form);
    });
  }

  if (typeof window.document$ !== "undefined") {
    window.document$.subscribe(init);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
