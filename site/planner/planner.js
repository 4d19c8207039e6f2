/* AlphaTree offline planner: the same algorithm as alphatree/plan/planner.py, in the browser.
 *
 * The page embeds the catalogue as JSON (<script type="application/json" id="at-planner-data">):
 * entries by id with year, difficulty, hours, lineage parents ([id, relation, note]) and curated
 * prerequisites, plus the scopes and the core relations. The plan follows the goal's core chain (core
 * lineage relations, bounded by the scope) and the curated prerequisites, never through what is known or
 * implied by it; Kahn's algorithm with the key (is_goal, year, difficulty, id); weeks filled up to the
 * hours per week, a long step taking a week of its own. tests/plan_vectors.json, generated from the
 * Python code, checks that both give the same steps, weeks and reasons.
 *
 * Progress is kept in localStorage; the plan file (YAML, the CLI's format) can be exported and imported.
 * Ticking a step changes its status only; "Update plan" re-plans, keeping done and skipped steps.
 * No libraries, nothing from the network.
 */
(function () {
  "use strict";

  var STORAGE_KEY = "alphatree.plan.v1";
  var STATUSES = ["todo", "done", "skipped"];

  // --- the algorithm ---------------------------------------------------------------------------------

  function PlanError(message) {
    this.name = "PlanError";
    this.message = message;
  }
  PlanError.prototype = Object.create(Error.prototype);

  function unique(list) {
    var seen = {}, out = [];
    for (var i = 0; i < list.length; i++) {
      if (!Object.prototype.hasOwnProperty.call(seen, list[i])) { seen[list[i]] = true; out.push(list[i]); }
    }
    return out;
  }

  function toSet(list) {
    var s = Object.create(null);
    for (var i = 0; i < list.length; i++) s[list[i]] = true;
    return s;
  }

  function compareKeys(a, b) {
    for (var i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
    return a[3] < b[3] ? -1 : (a[3] > b[3] ? 1 : 0);
  }

  function Heap() { this.items = []; }
  Heap.prototype.push = function (item) {
    var a = this.items, i = a.length;
    a.push(item);
    while (i > 0) {
      var p = (i - 1) >> 1;
      if (compareKeys(a[i], a[p]) >= 0) break;
      var t = a[i]; a[i] = a[p]; a[p] = t; i = p;
    }
  };
  Heap.prototype.pop = function () {
    var a = this.items, top = a[0], last = a.pop();
    if (a.length) {
      a[0] = last;
      var i = 0;
      for (;;) {
        var l = 2 * i + 1, r = l + 1, m = i;
        if (l < a.length && compareKeys(a[l], a[m]) < 0) m = l;
        if (r < a.length && compareKeys(a[r], a[m]) < 0) m = r;
        if (m === i) break;
        var t = a[i]; a[i] = a[m]; a[m] = t; i = m;
      }
    }
    return top;
  };

  function weeksFor(hours, hoursPerWeek) {
    var weeks = [], week = 1, used = 0;
    for (var i = 0; i < hours.length; i++) {
      if (used > 0 && used + hours[i] > hoursPerWeek) { week += 1; used = 0; }
      weeks.push(week);
      used += hours[i];
    }
    return weeks;
  }

  var DONE_EARLIER = "done earlier (no longer on the way to a goal)";
  var KEPT = "kept from your plan (no longer on the way to a goal)";
  var own = Object.prototype.hasOwnProperty;

  /* What a learner must know before id, by the plan's rules (planner.py's study_dependencies):
   * prerequisites always (described by the lineage edge to the same entry when there is one), core
   * lineage edges on the core chain, every lineage edge of a goal in the thorough scope. */
  function studyDependencies(data, id, onChain, goal, scope) {
    var e = data.entries[id], core = toSet(data.core_relations), pre = toSet(e.prerequisites);
    var out = [], added = Object.create(null), parents = Object.create(null);
    e.parents.forEach(function (p) { parents[p[0]] = true; });
    e.parents.forEach(function (p) {
      if (added[p[0]]) return;
      if (pre[p[0]] || (onChain && core[p[1]]) || (goal && scope === "thorough")) {
        added[p[0]] = true;
        out.push({ id: p[0], kind: "lineage", relation: p[1], note: p[2] });
      }
    });
    e.prerequisites.forEach(function (p) {
      if (!added[p] && !parents[p]) { added[p] = true; out.push({ id: p, kind: "prerequisite", relation: "prerequisite", note: "" }); }
    });
    return out;
  }

  /* Every dependency of id (lineage parents, then prerequisites; each once): what the order respects. */
  function allDependencies(data, id) {
    var e = data.entries[id];
    return unique(e.parents.map(function (p) { return p[0]; }).concat(e.prerequisites));
  }

  function impliedKnown(data, known) {
    var seen = Object.create(null), stack = known.filter(function (k) { return own.call(data.entries, k); });
    while (stack.length) {
      var node = stack.pop();
      studyDependencies(data, node, true, false, "standard").forEach(function (d) {
        if (!seen[d.id] && own.call(data.entries, d.id)) { seen[d.id] = true; stack.push(d.id); }
      });
    }
    return seen;
  }

  function whyText(data, id, via, goalSet) {
    if (goalSet[id]) return "your goal";
    var entries = data.entries, child = via[id][0], dep = via[id][1], chain = [entries[id].name], node = id;
    while (via[node]) { node = via[node][0]; chain.push(entries[node].name); }
    var path = chain.join(" → ") + " (your goal)", name = entries[child].name;
    if (dep.kind === "lineage" && dep.note) return name + " " + dep.relation + " it: " + dep.note + ". Path: " + path;
    if (dep.kind === "lineage") return name + " " + dep.relation + " it. Path: " + path;
    return name + " needs it first. Path: " + path;
  }

  /* Steps [{id, week, why}] in study order; ids must be current ids (planner.py's order_plan). */
  function orderPlan(data, goals, known, hoursPerWeek, done, scope, keep) {
    var entries = data.entries;
    goals = unique(goals);
    scope = scope || "standard";
    if (!own.call(data.scopes, scope)) throw new PlanError("unknown scope " + scope + "; use one of " + Object.keys(data.scopes).join(", "));
    known = known || [];
    done = done || [];
    keep = keep || [];
    var knownSet = toSet(known);
    var doneSet = Object.create(null);
    done.forEach(function (d) { if (!knownSet[d]) doneSet[d] = true; });
    if (!goals.length) throw new PlanError("a plan needs at least one goal");
    if (!(hoursPerWeek > 0) || !isFinite(hoursPerWeek)) throw new PlanError("hours per week must be a positive number");
    var clash = goals.filter(function (g) { return knownSet[g]; });
    if (clash.length) throw new PlanError(clash.join(", ") + " is both a goal and known");
    goals.forEach(function (g) { if (!entries[g]) throw new PlanError("unknown entry " + g); });
    var goalSet = toSet(goals);
    var covered = impliedKnown(data, known);
    known.forEach(function (k) { covered[k] = true; });
    var chainLimit = data.scopes[scope][0], limit = data.scopes[scope][1], core = toSet(data.core_relations);
    var depth = Object.create(null), chain = toSet(goals), via = Object.create(null), queue = [], head = 0;
    goals.forEach(function (g) { depth[g] = 0; queue.push(g); });
    var order0 = goals.slice();
    while (head < queue.length) {
      var node = queue[head++];
      if (limit !== null && depth[node] >= limit) continue;
      var extendsChain = !!chain[node] && (chainLimit === null || depth[node] < chainLimit);
      var deps = studyDependencies(data, node, extendsChain, !!goalSet[node], scope);
      for (var i = 0; i < deps.length; i++) {
        var dep = deps[i], id = dep.id;
        if (covered[id] || !own.call(entries, id)) continue;
        if (extendsChain && dep.kind === "lineage" && core[dep.relation]) chain[id] = true;
        if (depth[id] !== undefined) continue;
        depth[id] = depth[node] + 1;
        via[id] = [node, dep];
        queue.push(id);
        order0.push(id);
      }
    }
    var why = Object.create(null);
    order0.forEach(function (m) { why[m] = whyText(data, m, via, goalSet); });
    Object.keys(doneSet).concat(keep.filter(function (k) { return !knownSet[k]; })).forEach(function (d) {
      if (own.call(entries, d) && why[d] === undefined) why[d] = doneSet[d] ? DONE_EARLIER : KEPT;
    });
    var members = Object.keys(why);
    var memberSet = toSet(members), indegree = Object.create(null), dependents = Object.create(null);
    members.forEach(function (m) { indegree[m] = 0; dependents[m] = []; });
    members.forEach(function (m) {
      allDependencies(data, m).forEach(function (d) {
        if (memberSet[d]) { indegree[m] += 1; dependents[d].push(m); }
      });
    });
    function key(id) { var e = entries[id]; return [goalSet[id] ? 1 : 0, e.year, e.difficulty, id]; }
    var heap = new Heap(), order = [];
    members.forEach(function (m) { if (indegree[m] === 0) heap.push(key(m)); });
    while (heap.items.length) {
      var next = heap.pop()[3];
      order.push(next);
      dependents[next].forEach(function (child) {
        indegree[child] -= 1;
        if (indegree[child] === 0) heap.push(key(child));
      });
    }
    if (order.length !== members.length) throw new PlanError("the catalogue's dependencies have a cycle");
    var weeks = weeksFor(order.map(function (i) { return entries[i].hours; }), hoursPerWeek);
    return order.map(function (i, n) { return { id: i, week: weeks[n], why: why[i] }; });
  }

  /* The id for a name, as CatalogIndex.resolve gives it: an id, a former id, then (data.names, made by
   * alphatree/site/planner.py) a short name, a model's name or title, an entry's title; any case. */
  function resolve(data, name) {
    var key = String(name).trim().toLowerCase(), own = Object.prototype.hasOwnProperty;
    if (own.call(data.entries, key)) return key;
    if (data.aliases && own.call(data.aliases, key)) return data.aliases[key];
    if (data.names && own.call(data.names, key)) return data.names[key];
    return null;
  }

  function today() {
    var d = new Date();
    function pad(n) { return (n < 10 ? "0" : "") + n; }
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate());
  }

  function newPlan(data, goals, known, interests, hoursPerWeek, scope) {
    var plan = { version: 1, created: today(), hours_per_week: hoursPerWeek, scope: scope || "standard", goals: unique(goals),
                 known: unique(known), interests: unique(interests || []), steps: [] };
    plan.steps = orderPlan(data, plan.goals, plan.known, hoursPerWeek, [], plan.scope).map(function (s) {
      return { id: s.id, week: s.week, hours: data.entries[s.id].hours, status: "todo", why: s.why };
    });
    plan.changes = [];
    return plan;
  }

  /* Ids the catalogue lacks (neither an id nor a former id), as messages; the plan is not changed. */
  function unknownIds(data, plan) {
    var out = [], lines = plan.lines || {};
    function check(id, what, line) {
      if (!own.call(data.entries, id) && !(data.aliases && own.call(data.aliases, id))) {
        out.push((line ? "line " + line + ": " : "") + what + " '" + id + "' is not in the catalogue");
      }
    }
    plan.goals.forEach(function (g) { check(g, "goal", lines.goals); });
    (plan.known || []).forEach(function (k) { check(k, "known entry", lines.known); });
    plan.steps.forEach(function (s, i) { check(s.id, "step", lines["steps." + i]); });
    return out;
  }

  /* The plan with former ids replaced by current ones (nothing re-planned). */
  function currentIds(data, plan) {
    var bad = unknownIds(data, plan);
    if (bad.length) throw new PlanError(bad.join("; ") + "; fix the plan file (it was left as it is)");
    function cur(id) { return own.call(data.entries, id) ? id : data.aliases[id]; }
    var copy = JSON.parse(JSON.stringify(plan));
    copy.goals = unique(plan.goals.map(cur));
    copy.known = unique((plan.known || []).map(cur));
    copy.steps.forEach(function (s) { s.id = cur(s.id); });
    copy.scope = plan.scope || "standard";
    copy.changes = [];
    return copy;
  }

  /* Re-plan around progress (planner.py's replan): done and skipped steps kept, renames followed. */
  function replan(data, plan, scope, addGoals) {
    var bad = unknownIds(data, plan);
    if (bad.length) throw new PlanError(bad.join("; ") + "; fix the plan file (it was left as it is)");
    var changes = [];
    function current(id) {
      if (own.call(data.entries, id)) return id;
      changes.push("renamed " + id + " -> " + data.aliases[id]);
      return data.aliases[id];
    }
    var goals = unique(plan.goals.map(current));
    var known = unique((plan.known || []).map(current));
    (addGoals || []).forEach(function (g) {
      if (known.indexOf(g) >= 0) throw new PlanError(g + " is in this plan's known list");
      if (goals.indexOf(g) >= 0) throw new PlanError(g + " is already a goal of this plan");
      goals.push(g);
      changes.push("new goal " + g);
    });
    var oldScope = plan.scope || "standard";
    scope = scope || oldScope;
    if (scope !== oldScope) changes.push("scope " + oldScope + " -> " + scope);
    var old = Object.create(null), oldOrder = [];
    plan.steps.forEach(function (s) {
      var id = current(s.id);
      if (!old[id]) { old[id] = s; oldOrder.push(id); }
    });
    var knownSet = toSet(known);
    var done = oldOrder.filter(function (id) { return old[id].status === "done" && !knownSet[id]; });
    var skipped = oldOrder.filter(function (id) { return old[id].status === "skipped" && !knownSet[id]; });
    var steps = orderPlan(data, goals, known, plan.hours_per_week, done, scope, skipped).map(function (s) {
      var before = old[s.id], hours = data.entries[s.id].hours, why = s.why;
      if (!before) changes.push("new step " + s.id + ": " + s.why);
      else if (before.hours !== hours) changes.push(s.id + ": estimated hours changed from " + before.hours + " to " + hours);
      if (before && (why === DONE_EARLIER || why === KEPT) && before.why) why = before.why;
      var step = { id: s.id, week: s.week, hours: hours, status: before ? before.status : "todo", why: why };
      if (before && before.done_on) step.done_on = before.done_on;
      return step;
    });
    var kept = toSet(steps.map(function (s) { return s.id; }));
    oldOrder.forEach(function (id) { if (!kept[id]) changes.push(id + " is no longer needed; removed from the plan"); });
    return { version: 1, created: plan.created, hours_per_week: plan.hours_per_week, scope: scope, goals: goals, known: known,
             interests: plan.interests || [], steps: steps, changes: unique(changes) };
  }

  /* Whether 'update' would change the steps or their weeks (the catalogue changed since the plan was made). */
  function isStale(data, plan) {
    var fresh = replan(data, plan);
    var a = fresh.steps.map(function (s) { return s.id + "@" + s.week; }).join(" ");
    var b = plan.steps.map(function (s) { return s.id + "@" + s.week; }).join(" ");
    return a !== b;
  }

  function progress(plan) {
    var total = plan.steps.length, done = 0, skipped = 0, hours = 0, left = 0;
    plan.steps.forEach(function (s) {
      hours += s.hours;
      if (s.status === "done") done++;
      else if (s.status === "skipped") skipped++;
      else left += s.hours;
    });
    var percent = total ? Math.round(1000 * (done + skipped) / total) / 10 : 100;
    return { steps: total, done: done, skipped: skipped, todo: total - done - skipped, percent: percent, hours: hours, hours_left: left };
  }

  // --- the plan file (the CLI's YAML; a tiny writer and a reader of this format only) ------------------

  function q(text) { return JSON.stringify(String(text)); }
  function num(x) { return String(x); }

  function dumpPlan(plan) {
    var L = [
      "# AlphaTree study plan. Statuses are yours: todo, done or skipped (or use 'alphatree plan done ID').",
      "version: 1",
      "created: " + q(plan.created),
      "hours_per_week: " + num(plan.hours_per_week),
      "scope: " + (plan.scope || "standard"),
      "goals: [" + plan.goals.map(q).join(", ") + "]",
      "known: [" + plan.known.map(q).join(", ") + "]",
      "interests: [" + (plan.interests || []).map(q).join(", ") + "]",
      plan.steps.length ? "steps:" : "steps: []"
    ];
    plan.steps.forEach(function (s) {
      L.push("  - id: " + q(s.id), "    week: " + s.week, "    hours: " + num(s.hours), "    status: " + s.status, "    why: " + q(s.why));
      if (s.done_on) L.push("    done_on: " + q(s.done_on));
    });
    return L.join("\n") + "\n";
  }

  function ParseError(line, message) {
    this.name = "ParseError";
    this.line = line;
    this.message = "line " + line + ": " + message;
  }
  ParseError.prototype = Object.create(Error.prototype);

  function scalar(text, line) {
    text = text.trim();
    if (text === "") return null;
    if (text.charAt(0) === '"') {
      try { return JSON.parse(yamlEscapesToJson(text)); } catch (e) { throw new ParseError(line, "bad quoted text " + text); }
    }
    if (text.charAt(0) === "'") {
      if (text.charAt(text.length - 1) !== "'") throw new ParseError(line, "unclosed quote");
      return text.slice(1, -1).replace(/''/g, "'");
    }
    if (text.charAt(0) === "[") return flowList(text, line);
    if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
    return text.replace(/\s+#.*$/, "");
  }

  /* YAML's double-quoted escapes that JSON lacks (PyYAML writes control characters as \\x01, \\e...). */
  var YAML_ESCAPES = { "0": "\\u0000", a: "\\u0007", v: "\\u000b", e: "\\u001b", " ": " ", N: "\\u0085",
                       _: "\\u00a0", L: "\\u2028", P: "\\u2029", "/": "/", "\t": "\\t" };
  function yamlEscapesToJson(text) {
    return text.replace(/\\(x[0-9a-fA-F]{2}|U[0-9a-fA-F]{8}|.)/g, function (all, code) {
      if (code.charAt(0) === "x") return "\\u00" + code.slice(1);
      if (code.charAt(0) === "U") return JSON.stringify(String.fromCodePoint(parseInt(code.slice(1), 16))).slice(1, -1);
      return Object.prototype.hasOwnProperty.call(YAML_ESCAPES, code) ? YAML_ESCAPES[code] : all;
    });
  }

  function flowList(text, line) {
    if (text.charAt(text.length - 1) !== "]") throw new ParseError(line, "a list must end with ]");
    var body = text.slice(1, -1), out = [], i = 0;
    while (i < body.length) {
      while (i < body.length && /[\s,]/.test(body.charAt(i))) i++;
      if (i >= body.length) break;
      var j = i;
      if (body.charAt(i) === '"') {
        j++;
        while (j < body.length && body.charAt(j) !== '"') j += body.charAt(j) === "\\" ? 2 : 1;
        j++;
      } else {
        while (j < body.length && body.charAt(j) !== ",") j++;
      }
      out.push(scalar(body.slice(i, j), line));
      i = j;
    }
    return out;
  }

  function parsePlan(text) {
    var lines = text.split(/\r?\n/), plan = { steps: [] }, step = null, inSteps = false, where = {};
    for (var n = 0; n < lines.length; n++) {
      var raw = lines[n], line = n + 1;
      if (/^\s*(#.*)?$/.test(raw)) continue;
      var m;
      if ((m = /^([a-z_]+):\s*(.*)$/.exec(raw))) {
        inSteps = m[1] === "steps";
        if (inSteps) {
          if (m[2].trim() && m[2].trim() !== "[]") throw new ParseError(line, "steps must be a list of steps");
          continue;
        }
        plan[m[1]] = scalar(m[2], line);
        where[m[1]] = line;
      } else if (inSteps && (m = /^\s*-\s+([a-z_]+):\s*(.*)$/.exec(raw))) {
        step = {};
        plan.steps.push(step);
        step[m[1]] = scalar(m[2], line);
        if (m[1] === "id") where["steps." + (plan.steps.length - 1)] = line;
      } else if (inSteps && step && (m = /^\s+([a-z_]+):\s*(.*)$/.exec(raw))) {
        step[m[1]] = scalar(m[2], line);
        if (m[1] === "id") where["steps." + (plan.steps.length - 1)] = line;
      } else {
        throw new ParseError(line, "cannot read '" + raw.trim() + "' (is this an AlphaTree plan file?)");
      }
    }
    if (plan.version !== 1) throw new ParseError(1, "version must be 1");
    if (!Array.isArray(plan.goals) || !plan.goals.length) throw new ParseError(1, "goals must list at least one entry");
    plan.known = plan.known || [];
    plan.interests = plan.interests || [];
    if (!(plan.hours_per_week > 0)) throw new ParseError(1, "hours_per_week must be a positive number");
    Object.defineProperty(plan, "lines", { value: where, enumerable: false });
    plan.scope = plan.scope || "standard";
    if (["quick", "standard", "thorough"].indexOf(plan.scope) < 0) throw new ParseError(1, "scope must be quick, standard or thorough");
    plan.steps.forEach(function (s, i) {
      if (!s.id) throw new ParseError(1, "step " + (i + 1) + " has no id");
      s.id = String(s.id);
      if (STATUSES.indexOf(s.status || "todo") < 0) throw new ParseError(1, "step " + s.id + ": status must be todo, done or skipped");
      s.status = s.status || "todo";
    });
    return plan;
  }

  // --- the page ------------------------------------------------------------------------------------------

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k.slice(0, 2) === "on") node.addEventListener(k.slice(2), attrs[k]);
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return node;
  }

  function Planner(root, data) {
    this.root = root;
    this.data = data;
    this.plan = null;
    this.goals = {};
    this.known = {};
    this.build();
    this.restore();
  }

  Planner.prototype.build = function () {
    var self = this, ids = Object.keys(this.data.entries).sort(function (a, b) {
      var x = self.data.entries[a], y = self.data.entries[b];
      return x.year - y.year || (a < b ? -1 : 1);
    });
    this.filter = el("input", { type: "search", id: "at-filter", placeholder: "Filter papers...", oninput: function () { self.applyFilter(); } });
    this.hours = el("input", { type: "number", id: "at-hours", min: "0.5", step: "0.5", value: "5" });
    this.scope = el("select", { id: "at-scope" }, ["quick", "standard", "thorough"].map(function (name) {
      var option = el("option", { value: name, text: name });
      if (name === "standard") option.selected = true;
      return option;
    }));
    var rows = ids.map(function (id) {
      var e = self.data.entries[id];
      var know = el("input", { type: "checkbox", "data-know": id, onchange: function (ev) { self.known[id] = ev.target.checked; } });
      var goal = el("input", { type: "checkbox", "data-goal": id, onchange: function (ev) { self.goals[id] = ev.target.checked; } });
      return el("tr", { "data-id": id, "data-text": (id + " " + e.name + " " + e.title).toLowerCase() }, [
        el("td", {}, [know]), el("td", {}, [goal]), el("td", { text: String(e.year) }),
        el("td", {}, [el("strong", { text: e.name }), " ", el("span", { class: "at-dim", text: id })]),
        el("td", { text: e.hours + " h" })
      ]);
    });
    this.rows = rows;
    var table = el("table", { class: "at-choices" }, [
      el("thead", {}, [el("tr", {}, [el("th", { scope: "col", text: "I know it" }), el("th", { scope: "col", text: "Goal" }),
                                      el("th", { scope: "col", text: "Year" }), el("th", { scope: "col", text: "Paper" }),
                                      el("th", { scope: "col", text: "Hours" })])]),
      el("tbody", {}, rows)
    ]);
    this.message = el("p", { id: "at-message", class: "at-message", role: "status" });
    this.output = el("div", { id: "at-plan" });
    this.importer = el("input", { type: "file", id: "at-import", accept: ".yaml,.yml,text/yaml", onchange: function (ev) { self.importFile(ev.target.files[0]); } });
    var form = el("div", { class: "at-form" }, [
      el("div", { class: "at-controls" }, [
        el("label", {}, ["Hours per week ", this.hours]),
        el("label", { title: "quick: the goal's parents and their background; standard: what a course would teach first; thorough: everything the goal builds on, and what it uses" }, ["Scope ", this.scope]),
        el("button", { type: "button", id: "at-make", class: "md-button md-button--primary", onclick: function () { self.make(); } }, ["Make my plan"]),
        el("button", { type: "button", id: "at-update-plan", class: "md-button", onclick: function () { self.update(); } }, ["Update plan"]),
        el("button", { type: "button", id: "at-export", class: "md-button", onclick: function () { self.exportFile(); } }, ["Export plan file"]),
        el("label", { class: "md-button at-import-label" }, ["Import plan file ", this.importer]),
        el("button", { type: "button", id: "at-reset", class: "md-button", onclick: function () { self.reset(); } }, ["Start again"])
      ]),
      this.message,
      el("details", { id: "at-choose", open: "open" }, [el("summary", { text: "Choose your goals and what you know" }), this.filter, table])
    ]);
    this.root.textContent = "";
    this.root.appendChild(form);
    this.root.appendChild(this.output);
  };

  Planner.prototype.applyFilter = function () {
    var needle = this.filter.value.trim().toLowerCase();
    this.rows.forEach(function (row) { row.style.display = !needle || row.getAttribute("data-text").indexOf(needle) >= 0 ? "" : "none"; });
  };

  Planner.prototype.say = function (text, bad) {
    this.message.textContent = text;
    this.message.className = "at-message" + (bad ? " at-bad" : "");
  };

  Planner.prototype.selected = function (table) {
    return Object.keys(table).filter(function (k) { return table[k]; }).sort();
  };

  Planner.prototype.make = function () {
    var goals = this.selected(this.goals), known = this.selected(this.known), hours = parseFloat(this.hours.value);
    try {
      this.setPlan(newPlan(this.data, goals, known, [], hours, this.scope.value));
      this.say("Your plan (" + this.plan.scope + "): " + this.plan.steps.length + " papers over " +
               this.plan.steps[this.plan.steps.length - 1].week + " weeks.");
    } catch (e) {
      this.say(goals.length ? e.message : "Tick at least one goal first.", true);
    }
  };

  Planner.prototype.setPlan = function (plan) {
    this.plan = plan;
    this.save();
    this.syncChoices();
    this.render();
  };

  Planner.prototype.syncChoices = function () {
    var self = this;
    this.goals = {};
    this.known = {};
    (this.plan ? this.plan.goals : []).forEach(function (g) { self.goals[g] = true; });
    (this.plan ? this.plan.known : []).forEach(function (k) { self.known[k] = true; });
    this.root.querySelectorAll("input[data-goal]").forEach(function (box) { box.checked = !!self.goals[box.getAttribute("data-goal")]; });
    this.root.querySelectorAll("input[data-know]").forEach(function (box) { box.checked = !!self.known[box.getAttribute("data-know")]; });
    if (this.plan) { this.hours.value = String(this.plan.hours_per_week); this.scope.value = this.plan.scope || "standard"; }
  };

  Planner.prototype.save = function () {
    try {
      if (this.plan) window.localStorage.setItem(STORAGE_KEY, JSON.stringify(this.plan));
      else window.localStorage.removeItem(STORAGE_KEY);
    } catch (e) { /* storage may be disabled: the plan still works for this visit */ }
  };

  Planner.prototype.restore = function () {
    var stored = null;
    try { stored = window.localStorage.getItem(STORAGE_KEY); } catch (e) { stored = null; }
    if (!stored) return;
    var saved;
    try { saved = JSON.parse(stored); } catch (e) { this.say("Your saved plan could not be read; make a new one.", true); return; }
    try {
      this.setPlan(currentIds(this.data, saved));  // shown as it is: only 'Update plan' re-plans
      this.sayIfStale();
    } catch (e) {
      this.plan = null;
      this.say("Your saved plan names an entry this catalogue lacks (" + e.message + "); it is kept in this browser " +
               "until you make or import another.", true);
    }
  };

  Planner.prototype.reset = function () {
    this.plan = null;
    this.save();
    this.syncChoices();
    this.output.textContent = "";
    this.say("");
  };

  Planner.prototype.mark = function (id, status) {
    var step = this.plan.steps.filter(function (s) { return s.id === id; })[0];
    step.status = status;
    if (status === "done") step.done_on = today(); else delete step.done_on;
    this.setPlan(this.plan);  // statuses only: 'Update plan' re-plans around them
  };

  Planner.prototype.sayIfStale = function () {
    var self = this;
    if (!this.plan || !isStale(this.data, this.plan)) return false;
    this.say("The catalogue changed since this plan was made. ", false);
    this.message.appendChild(el("button", { type: "button", id: "at-update", class: "md-button", onclick: function () { self.update(); } },
                                ["Update plan (keeps your progress)"]));
    return true;
  };

  Planner.prototype.update = function () {
    if (!this.plan) { this.say("Make a plan first.", true); return; }
    var plan = replan(this.data, this.plan, this.scope.value);
    this.setPlan(plan);
    this.say(plan.changes.length ? "Updated: " + plan.changes.join("; ") : "Your plan is up to date.");
  };

  Planner.prototype.render = function () {
    var self = this, plan = this.plan, p = progress(plan), out = this.output;
    out.textContent = "";
    var bar = el("div", { class: "at-progress" }, [el("div", { class: "at-progress-fill", style: "width:" + p.percent + "%" })]);
    out.appendChild(el("h2", { text: "Your plan" }));
    out.appendChild(el("p", { id: "at-progress-text", text: p.percent + "% done · " + p.done + " done, " + p.skipped + " skipped, " + p.todo +
      " to do · " + p.hours_left + " of " + p.hours + " hours left" }));
    out.appendChild(bar);
    var week = null, list = null, number = 0;
    plan.steps.forEach(function (s) {
      number += 1;
      var e = self.data.entries[s.id];
      if (s.week !== week) {
        week = s.week;
        out.appendChild(el("h3", { text: "Week " + week }));
        list = el("ol", { class: "at-steps", start: String(number) });  // numbering runs on across weeks
        out.appendChild(list);
      }
      var box = el("input", { type: "checkbox", "data-done": s.id, onchange: function (ev) { self.mark(s.id, ev.target.checked ? "done" : "todo"); } });
      box.checked = s.status === "done";
      var skip = el("button", { type: "button", class: "at-skip", "data-skip": s.id, onclick: function () { self.mark(s.id, s.status === "skipped" ? "todo" : "skipped"); } },
                    [s.status === "skipped" ? "unskip" : "skip"]);
      var links = [el("a", { href: "../papers/" + s.id + "/", text: "page" })];
      if (e.paper) links.push(" · ", el("a", { href: e.paper, text: "paper" }));
      list.appendChild(el("li", { class: "at-step at-" + s.status, "data-step": s.id, "data-week": String(s.week) }, [
        el("label", {}, [box, " ", el("strong", { text: e.name }), " (" + e.year + ", " + s.hours + " h) "]), skip,
        el("div", { class: "at-dim", text: "why: " + s.why }),
        el("div", { class: "at-dim at-exercise" }, ["exercise: " + e.exercise.text].concat(
          e.exercise.command ? [": ", el("code", { text: e.exercise.command })] : [])),
        el("div", {}, links)
      ]));
    });
  };

  Planner.prototype.exportFile = function () {
    if (!this.plan) { this.say("Make a plan first.", true); return; }
    var blob = new Blob([dumpPlan(this.plan)], { type: "text/yaml" });
    var a = el("a", { href: URL.createObjectURL(blob), download: "plan.yaml" });
    document.body.appendChild(a);
    a.click();
    a.remove();
  };

  Planner.prototype.importFile = function (file) {
    var self = this;
    if (!file) return;
    var reader = new FileReader();
    reader.onload = function () {
      try {
        var plan = currentIds(self.data, parsePlan(String(reader.result)));
        self.setPlan(plan);
        if (!self.sayIfStale()) self.say("Imported " + file.name + ".");
      } catch (e) {
        self.say(file.name + ": " + e.message, true);
      }
    };
    reader.readAsText(file);
  };

  var api = { orderPlan: orderPlan, weeksFor: weeksFor, newPlan: newPlan, replan: replan, currentIds: currentIds,
              isStale: isStale, studyDependencies: studyDependencies, dumpPlan: dumpPlan, parsePlan: parsePlan,
              progress: progress, resolve: resolve, Planner: Planner };
  window.AlphaTreePlanner = api;

  function start() {
    var root = document.getElementById("at-planner"), source = document.getElementById("at-planner-data");
    if (!root || !source) return;
    api.instance = new Planner(root, JSON.parse(source.textContent));
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
  // mkdocs-material's instant navigation swaps pages without a reload
  if (window.document$ && window.document$.subscribe) window.document$.subscribe(function () { if (!api.instance || !document.body.contains(api.instance.root)) start(); });
})();
