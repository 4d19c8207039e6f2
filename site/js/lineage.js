/* AlphaTree lineage explorer: zoom, pan, a year axis that stays in view, filters, tracing a paper.
 *
 * Works on every element with class "at-lineage-explorer" holding a Graphviz SVG (alphatree.render.to_dot):
 * papers are <g class="node paper area-AREA" id="node-ID">, links <g class="edge rel-RELATION"> whose
 * <title> is "PARENT->CHILD", year labels <g class="node year" id="year-YEAR">. Pan and zoom are CSS
 * transforms of the whole SVG (composited, so fast on large drawings). data-mode="trace" (the explorer page):
 * clicking a paper lights up its ancestors and descendants and offers its page; data-mode="open"
 * (home, area and path pages): clicking a paper opens its page. No network, no other library.
 */
(function () {
  "use strict";

  var DRAG_PX = 5; // a press that moves further than this is a pan, not a click
  var READABLE = 1.25; // pixels per drawing point when the explorer opens
  var PX_PER_PT = 4 / 3; // Graphviz sizes its drawings in points
  var ZOOM_STEP = 1.3; // one press of "Zoom in"

  function init(root) {
    if (root.getAttribute("data-ready")) return;
    var svg = root.querySelector(".at-figure svg");
    var view = root.querySelector(".at-lx-view");
    if (!svg || !view) return;
    root.setAttribute("data-ready", "1");
    var axis = root.querySelector(".at-lx-axis");
    var info = root.querySelector(".at-lx-info");
    var tracing = root.getAttribute("data-mode") === "trace";
    var dataEl = root.querySelector(".at-lx-data");
    var data = dataEl ? JSON.parse(dataEl.textContent) : { papers: {} };

    // The drawing keeps its own size (Graphviz gives it in points); panning and zooming move and scale
    // it with a CSS transform, which the browser composites without laying the SVG out or repainting it,
    // so a step stays fast on a thousand papers. After a zoom settles it is re-rasterised, crisp.
    var W = parseFloat(svg.getAttribute("width")) * PX_PER_PT;
    var H = parseFloat(svg.getAttribute("height")) * PX_PER_PT;
    svg.removeAttribute("style");
    svg.setAttribute("width", W.toFixed(1));
    svg.setAttribute("height", H.toFixed(1));
    svg.classList.add("at-lx-drawing");
    var state = { s: 1, x: 0, y: 0 };

    // --- the graph: papers, links, years --------------------------------------------------------------
    var papers = {}; // id -> {el, area, year, name, url}
    svg.querySelectorAll("g.node.paper").forEach(function (g) {
      var id = g.id.replace(/^node-/, "");
      var area = "";
      g.classList.forEach(function (c) { if (c.indexOf("area-") === 0) area = c.slice(5); });
      var facts = data.papers[id] || {};
      papers[id] = { el: g, area: area, year: facts.year, name: facts.name || id, url: facts.url };
    });
    var edges = []; // {el, from, to, relation}
    svg.querySelectorAll("g.edge").forEach(function (g) {
      var title = g.querySelector("title");
      var ends = title ? title.textContent.split("->") : [];
      var relation = "";
      g.classList.forEach(function (c) { if (c.indexOf("rel-") === 0) relation = c.slice(4); });
      if (ends.length === 2 && papers[ends[0]] && papers[ends[1]]) {
        edges.push({ el: g, from: ends[0], to: ends[1], relation: relation });
      }
    });
    var yearLabels = [];
    svg.querySelectorAll("g.node.year text").forEach(function (t) {
      yearLabels.push({ text: t, year: t.textContent.trim() });
    });

    // --- pan and zoom ---------------------------------------------------------------------------------
    var axisMarks = [];
    var settle = null;

    var GAP = 8; // pixels kept clear around the papers when the view opens

    function band() { // the height of the year axis along the view's top; nothing is placed under it
      return axis ? axis.offsetHeight : 0;
    }

    function fitScale() {
      return Math.min(view.clientWidth / W, Math.max(view.clientHeight - band(), 1) / H);
    }

    function apply() {
      svg.style.transform = "translate(" + state.x.toFixed(1) + "px," + state.y.toFixed(1) + "px) scale(" + state.s.toFixed(4) + ")";
      root.setAttribute("data-scale", state.s.toFixed(4));
      var width = view.clientWidth;
      for (var i = 0; i < axisMarks.length; i++) {
        var m = axisMarks[i];
        var x = m.x * state.s + state.x;
        m.el.style.transform = "translateX(" + x.toFixed(1) + "px) translateX(-50%)";
        m.el.style.visibility = x < -40 || x > width + 40 ? "hidden" : "visible";
      }
    }

    function zoomAt(factor, cx, cy) {
      var fit = fitScale();
      var s = Math.min(Math.max(state.s * factor, Math.min(fit, 1) * 0.5), Math.max(8, 4 * fit));
      state.x = cx - (cx - state.x) * s / state.s;
      state.y = cy - (cy - state.y) * s / state.s;
      state.s = s;
      apply();
      // re-raster at the new scale once the zooming stops (a composited layer keeps its old pixels)
      clearTimeout(settle);
      settle = setTimeout(function () {
        svg.style.willChange = "auto";
        requestAnimationFrame(function () { svg.style.willChange = "transform"; });
      }, 250);
    }

    function fit() { // the whole drawing, centred in the part of the view below the year axis
      var s = fitScale();
      state.s = s;
      state.x = (view.clientWidth - W * s) / 2;
      state.y = band() + (view.clientHeight - band() - H * s) / 2;
      apply();
    }

    function boxes() { // every paper's box, in the drawing's own pixels
      var box = svg.getBoundingClientRect();
      return Object.keys(papers).map(function (id) {
        var r = papers[id].el.getBoundingClientRect();
        return {
          left: (r.left - box.left) / state.s, top: (r.top - box.top) / state.s,
          right: (r.right - box.left) / state.s, bottom: (r.bottom - box.top) / state.s,
        };
      });
    }

    function start() {
      // The first view: at a readable size (labels drawn at 11 pt show about 14 px tall), the earliest
      // years at the left edge, and from the top of the papers that the view spans across, every box
      // clear of the year axis; the earliest column (Graphviz ranks by year) is kept whole when it fits.
      // Papers that fit across or down at that size are centred instead.
      var all = boxes(); // measured at the scale applied now
      var s = READABLE / PX_PER_PT;
      state.s = s;
      var room = view.clientWidth - 2 * GAP, roomDown = view.clientHeight - band() - 2 * GAP;
      var left = Infinity, right = -Infinity;
      all.forEach(function (b) { left = Math.min(left, b.left); right = Math.max(right, b.right); });
      var firstX = Infinity; // the centre of the earliest column
      all.forEach(function (b) { firstX = Math.min(firstX, (b.left + b.right) / 2); });
      var colTop = Infinity, colBottom = -Infinity, near = [];
      all.forEach(function (b) {
        if (Math.abs((b.left + b.right) / 2 - firstX) < 2) {
          colTop = Math.min(colTop, b.top);
          colBottom = Math.max(colBottom, b.bottom);
        }
        if (b.left < left + room / s) near.push(b); // within the first view's width
      });
      // of the tops of those papers, the one whose view holds the most of them whole, the earliest column
      // included where it fits; on a tie the highest
      var tall = roomDown / s, best = -1, top = colTop, bottom = colBottom;
      near.forEach(function (c) {
        if (colBottom - colTop <= tall && (c.top > colTop || c.top + tall < colBottom)) return;
        var n = 0, low = -Infinity;
        near.forEach(function (b) {
          if (b.top >= c.top && b.bottom <= c.top + tall) { n++; low = Math.max(low, b.bottom); }
        });
        if (n > best || (n === best && c.top < top)) { best = n; top = c.top; bottom = low; }
      });
      var w = (right - left) * s, h = (bottom - top) * s;
      state.x = GAP + (w < room ? (room - w) / 2 : 0) - left * s;
      state.y = band() + GAP + (h < roomDown ? (roomDown - h) / 2 : 0) - top * s;
      // no paper in view half under the year axis: of the shifts that put one just below the axis or
      // just above the view, keeping the earliest column inside, the one nearest that view
      var across = all.filter(function (b) { return b.left * s + state.x < view.clientWidth && b.right * s + state.x > 0; });
      var lowest = view.clientHeight - GAP;
      function clear(y, whole) { // whole: the earliest column entirely inside, else at least its top
        var last = whole && colBottom - colTop <= tall ? colBottom : colTop;
        if (colTop * s + y < band() || last * s + y > lowest) return false;
        return across.every(function (b) { return b.top * s + y >= band() || b.bottom * s + y <= 0; });
      }
      var want = state.y;
      [true, false].some(function (whole) {
        var found = clear(want, whole) ? want : null;
        across.forEach(function (b) {
          [band() + GAP - b.top * s, -b.bottom * s].forEach(function (y) {
            if ((found === null || Math.abs(y - want) < Math.abs(found - want)) && clear(y, whole)) found = y;
          });
        });
        if (found !== null) state.y = found;
        return found !== null;
      });
      apply();
    }

    function centreOn(px, py) { // a point of the drawing, in its own pixels
      state.x = view.clientWidth / 2 - px * state.s;
      state.y = (view.clientHeight + band()) / 2 - py * state.s; // the middle of the part below the axis
      apply();
    }

    function local(el) { // the centre of an element in the drawing's own pixels
      var box = svg.getBoundingClientRect();
      var r = el.getBoundingClientRect();
      return [(r.left + r.width / 2 - box.left) / state.s, (r.top + r.height / 2 - box.top) / state.s];
    }

    apply();
    // where each year sits, read once from its (hidden) label
    if (axis) {
      yearLabels.forEach(function (y) {
        var span = document.createElement("span");
        span.textContent = y.year;
        axis.appendChild(span);
        axisMarks.push({ el: span, x: local(y.text)[0] });
      });
    }
    // open on the whole drawing when it fits at a readable size, else at its start (see start())
    if (fitScale() * PX_PER_PT >= READABLE || !Object.keys(papers).length) fit();
    else start();
    svg.style.willChange = "transform";
    var filters = root.querySelector("details.at-lx-filters");
    if (filters && root.clientWidth < 600) filters.open = false; // on a phone the drawing comes first

    function showPaper(id) {
      var p = papers[id];
      if (!p) return;
      var c = local(p.el);
      centreOn(c[0], c[1]);
    }

    root.querySelectorAll("[data-zoom]").forEach(function (button) {
      button.addEventListener("click", function () {
        var how = button.getAttribute("data-zoom");
        var cx = view.clientWidth / 2, cy = view.clientHeight / 2;
        if (how === "in") zoomAt(ZOOM_STEP, cx, cy);
        else if (how === "out") zoomAt(1 / ZOOM_STEP, cx, cy);
        else fit();
      });
    });
    view.addEventListener("wheel", function (ev) {
      ev.preventDefault();
      var r = view.getBoundingClientRect();
      var delta = ev.deltaY * (ev.deltaMode === 1 ? 16 : ev.deltaMode === 2 ? 400 : 1);
      zoomAt(Math.exp(-delta * 0.002), ev.clientX - r.left, ev.clientY - r.top);
    }, { passive: false });
    // something that scrolls the view (find in page, focusing a link) becomes a pan
    view.addEventListener("scroll", function () {
      state.x -= view.scrollLeft;
      state.y -= view.scrollTop;
      view.scrollLeft = 0;
      view.scrollTop = 0;
      apply();
    });
    window.addEventListener("resize", apply);

    // drag to pan; a press that moved is a pan, and the click it ends in is swallowed
    var down = null;
    var dragged = false;
    view.addEventListener("pointerdown", function (ev) {
      if (ev.button !== 0 || ev.target.closest("button, input, label")) return;
      down = { x: ev.clientX, y: ev.clientY, sx: state.x, sy: state.y };
      dragged = false;
    });
    window.addEventListener("pointermove", function (ev) {
      if (!down) return;
      var dx = ev.clientX - down.x, dy = ev.clientY - down.y;
      if (!dragged && Math.abs(dx) + Math.abs(dy) <= DRAG_PX) return;
      dragged = true;
      view.classList.add("at-lx-dragging");
      state.x = down.sx + dx;
      state.y = down.sy + dy;
      apply();
    });
    window.addEventListener("pointerup", function () { down = null; view.classList.remove("at-lx-dragging"); });
    view.addEventListener("dragstart", function (ev) { ev.preventDefault(); }); // links are not dragged away
    svg.addEventListener("click", function (ev) {
      if (dragged) { ev.preventDefault(); ev.stopPropagation(); dragged = false; return; }
      if (!tracing) return;
      var g = ev.target.closest ? ev.target.closest("g.node.paper") : null;
      if (g) {
        ev.preventDefault();
        trace(g.id.replace(/^node-/, ""));
      }
    }, true);

    // --- filters --------------------------------------------------------------------------------------
    var areaBoxes = root.querySelectorAll("input[data-area]");
    var relationBoxes = root.querySelectorAll("input[data-relation]");
    var fromBox = root.querySelector('input[data-year="from"]');
    var toBox = root.querySelector('input[data-year="to"]');
    var traced = null;

    function ticked(boxes, key) {
      var out = {};
      boxes.forEach(function (b) { out[b.getAttribute(key)] = b.checked; });
      return out;
    }

    function visibleEdges() {
      return edges.filter(function (e) { return !e.el.classList.contains("at-lx-hidden"); });
    }

    function applyFilters() {
      var areas = ticked(areaBoxes, "data-area");
      var relations = ticked(relationBoxes, "data-relation");
      var from = fromBox && fromBox.value !== "" ? Number(fromBox.value) : -Infinity;
      var to = toBox && toBox.value !== "" ? Number(toBox.value) : Infinity;
      Object.keys(papers).forEach(function (id) {
        var p = papers[id];
        var shown = areas[p.area] !== false && (p.year === undefined || (p.year >= from && p.year <= to));
        p.hidden = !shown;
        p.el.classList.toggle("at-lx-hidden", !shown);
      });
      edges.forEach(function (e) {
        var shown = relations[e.relation] !== false && !papers[e.from].hidden && !papers[e.to].hidden;
        e.el.classList.toggle("at-lx-hidden", !shown);
      });
      if (traced) trace(traced);
    }

    [].forEach.call(areaBoxes, function (b) { b.addEventListener("change", applyFilters); });
    [].forEach.call(relationBoxes, function (b) { b.addEventListener("change", applyFilters); });
    [fromBox, toBox].forEach(function (b) { if (b) b.addEventListener("input", applyFilters); });

    // --- tracing one paper ------------------------------------------------------------------------------
    function reach(start, forward, shown) {
      var seen = {};
      seen[start] = true;
      var todo = [start];
      while (todo.length) {
        var cur = todo.pop();
        for (var i = 0; i < shown.length; i++) {
          var e = shown[i];
          var next = forward ? (e.from === cur ? e.to : null) : (e.to === cur ? e.from : null);
          if (next && !seen[next]) { seen[next] = true; todo.push(next); }
        }
      }
      delete seen[start];
      return seen;
    }

    function clearTrace() {
      traced = null;
      svg.classList.remove("at-lx-tracing");
      svg.querySelectorAll(".at-lx-on, .at-lx-focus").forEach(function (el) {
        el.classList.remove("at-lx-on", "at-lx-focus");
      });
      if (info) info.textContent = "Click a paper to trace its ancestors and descendants.";
    }

    function trace(id) {
      var p = papers[id];
      if (!p) return;
      clearTrace();
      traced = id;
      var shown = visibleEdges();
      var up = reach(id, false, shown);
      var down = reach(id, true, shown);
      var lit = {};
      lit[id] = true;
      Object.keys(up).forEach(function (k) { lit[k] = true; });
      Object.keys(down).forEach(function (k) { lit[k] = true; });
      svg.classList.add("at-lx-tracing");
      Object.keys(lit).forEach(function (k) { papers[k].el.classList.add("at-lx-on"); });
      p.el.classList.add("at-lx-focus");
      shown.forEach(function (e) {
        var onPath = (e.to === id || up[e.to]) && (up[e.from]) || (e.from === id || down[e.from]) && down[e.to];
        if (onPath) e.el.classList.add("at-lx-on");
      });
      if (!info) return;
      info.textContent = "";
      var strong = document.createElement("strong");
      strong.textContent = p.name + (p.year ? " (" + p.year + ")" : "");
      info.appendChild(strong);
      info.appendChild(document.createTextNode(
        ": builds on " + Object.keys(up).length + ", built on by " + Object.keys(down).length + " (shown lit). "));
      if (p.url) {
        var a = document.createElement("a");
        a.href = p.url;
        a.className = "at-lx-open";
        a.textContent = "Open " + p.name + "'s page";
        info.appendChild(a);
      }
      var clear = document.createElement("button");
      clear.type = "button";
      clear.className = "at-lx-button";
      clear.textContent = "Clear";
      clear.addEventListener("click", clearTrace);
      info.appendChild(clear);
    }

    applyFilters();
    var focus = /(?:^#|&)focus=([^&]+)/.exec(window.location.hash);
    if (focus && papers[decodeURIComponent(focus[1])]) {
      var id = decodeURIComponent(focus[1]);
      if (tracing) trace(id);
      showPaper(id);
    }
  }

  function initAll() {
    document.querySelectorAll(".at-lineage-explorer").forEach(init);
  }

  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(initAll); // mkdocs-material's instant navigation
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", initAll);
  } else {
    initAll();
  }
})();
