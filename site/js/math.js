// Renders the maths on metric and concept pages with the vendored KaTeX (site/vendor/katex/, MIT licence):
// pymdownx.arithmatex (generic mode) leaves \( ... \) and \[ ... \] inside elements of class "arithmatex".
(function () {
  "use strict";

  function render() {
    if (typeof window.renderMathInElement !== "function") return;
    document.querySelectorAll(".arithmatex").forEach(function (el) {
      window.renderMathInElement(el, {
        delimiters: [
          { left: "\\[", right: "\\]", display: true },
          { left: "\\(", right: "\\)", display: false },
        ],
        throwOnError: false,
      });
    });
  }

  if (typeof window.document$ !== "undefined") {
    window.document$.subscribe(render);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", render);
  } else {
    render();
  }
})();
