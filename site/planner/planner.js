/* AlphaTree offline planner: the same algorithm as alphatree/plan/planner.py, in the browser.
 *
 * The page embeds the catalogue as JSON (<script type="application/json" id="at-planner-data">):
 * entries by id with year, difficulty, hours and deps ([id, kind, relation, note], lineage parents
 * first, then learning prerequisites). The plan is the closure from the goals over deps, not expanding
 * through known or done entries; Kahn's algorithm with the key (is_goal, year, difficulty, id); weeks
 * filled up to the hours per week, a long step taking a week of its own. tests/plan_vectors.json,
 * generated from the Python code, checks that both give the same steps, weeks and reasons.
 *
 * Progress is kept in localStorage; the plan file (YAML, the CLI's format) can be exported and imported.
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

  /* Steps [{id, week, why}] in study order; ids must be current ids. */
  function orderPlan(data, goals, known, hoursPerWeek, done) {
    var entries = data.entries;
    goals = unique(goals);
    known = known || [];
    done = done || [];
    var knownSet = toSet(known);
    var doneSet = Object.create(null);
    done.forEach(function (d) { if (!knownSet[d]) doneSet[d] = true; });
    if (!goals.length) throw new PlanError("a plan needs at least one goal");
    if (!(hoursPerWeek > 0) || !isFinite(hoursPerWeek)) throw new PlanError("hours per week must be a positive number");
    var clash = goals.filter(function (g) { return knownSet[g]; });
    if (clash.length) throw new PlanError(clash.join(", ") + " is both a goal and known");
    goals.forEach(function (g) { if (!entries[g]) throw new PlanError("unknown entry " + g); });
    var goalSet = toSet(goals);
    var why = Object.create(null), leadsTo = Object.create(null), queue = [], head = 0;
    goals.forEach(function (g) { why[g] = "your goal"; leadsTo[g] = g; queue.push(g); });
    while (head < queue.length) {
      var node = queue[head++];
      if (doneSet[node] && !goalSet[node]) continue;
      var deps = entries[node].deps;
      for (var i = 0; i < deps.length; i++) {
        var dep = deps[i], id = dep[0];
        if (knownSet[id] || why[id] !== undefined) continue;
        var goal = leadsTo[node];
        why[id] = dep[1] === "lineage" ? node + " " + dep[2] + " it (" + dep[3] + "); leads to " + goal
                                        : "prerequisite of " + node + "; leads to " + goal;
        leadsTo[id] = goal;
        queue.push(id);
      }
    }
    var members = Object.keys(why);
    Object.keys(doneSet).forEach(function (d) {
      if (entries[d] && why[d] === undefined) { why[d] = "done earlier (no longer on the way to a goal)"; members.push(d); }
    });
    var memberSet = toSet(members), indegree = Object.create(null), dependents = Object.create(null);
    members.forEach(function (m) { indegree[m] = 0; dependents[m] = []; });
    members.forEach(function (m) {
      entries[m].deps.forEach(function (dep) {
        if (memberSet[dep[0]]) { indegree[m] += 1; dependents[dep[0]].push(m); }
      });
    });
    function key(id) { var e = entries[id]; return [goalSet[id] ? 1 : 0, e.year, e.difficulty, id]; }
    var heap = new Heap(), order = [];
    members.forEach(function (m) { if (indegree[m] === 0) heap.push(key(m)); });
    while (heap.items.length) {
      var id = heap.pop()[3];
      order.push(id);
      dependents[id].forEach(function (child) {
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

  function newPlan(data, goals, known, interests, hoursPerWeek) {
    var plan = { version: 1, created: today(), hours_per_week: hoursPerWeek, goals: unique(goals), known: unique(known),
                 interests: unique(interests || []), steps: [] };
    plan.steps = orderPlan(data, plan.goals, plan.known, hoursPerWeek, []).map(function (s) {
      return { id: s.id, week: s.week, hours: data.entries[s.id].hours, status: "todo", why: s.why };
    });
    plan.changes = [];
    return plan;
  }

  /* Re-plan around progress (statuses kept by id, renames followed); plan.changes says what changed. */
  function replan(data, plan) {
    var changes = [];
    function current(id, what) {
      if (data.entries[id]) return id;
      if (data.aliases && data.aliases[id]) { changes.push("renamed " + id + " -> " + data.aliases[id]); return data.aliases[id]; }
      changes.push(what + " '" + id + "' is no longer in the catalogue; dropped");
      return null;
    }
    var goals = unique(plan.goals.map(function (g) { return current(g, "goal"); }).filter(Boolean));
    if (!goals.length) throw new PlanError("none of the plan's goals is in the catalogue");
    var known = unique(plan.known.map(function (k) { return current(k, "known entry"); }).filter(Boolean));
    var old = Object.create(null), oldOrder = [];
    plan.steps.forEach(function (s) {
      var id = current(s.id, "step");
      if (id && !old[id]) { old[id] = s; oldOrder.push(id); }
    });
    var done = oldOrder.filter(function (id) { return old[id].status === "done"; });
    var steps = orderPlan(data, goals, known, plan.hours_per_week, done).map(function (s) {
      var before = old[s.id];
      if (!before) changes.push("new step " + s.id + ": " + s.why);
      var step = { id: s.id, week: s.week, hours: data.entries[s.id].hours, status: before ? before.status : "todo", why: s.why };
      if (before && before.done_on) step.done_on = before.done_on;
      return step;
    });
    var kept = toSet(steps.map(function (s) { return s.id; }));
    oldOrder.forEach(function (id) { if (!kept[id]) changes.push(id + " is no longer needed; removed from the plan"); });
    return { version: 1, created: plan.created, hours_per_week: plan.hours_per_week, goals: goals, known: known,
             interests: plan.interests || [], steps: steps, changes: unique(changes) };
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
    var lines = text.split(/\r?\n/), plan = { steps: [] }, step = null, inSteps = false;
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
      } else if (inSteps && (m = /^\s*-\s+([a-z_]+):\s*(.*)$/.exec(raw))) {
        step = {};
        plan.steps.push(step);
        step[m[1]] = scalar(m[2], line);
      } else if (inSteps && step && (m = /^\s+([a-z_]+):\s*(.*)$/.exec(raw))) {
        step[m[1]] = scalar(m[2], line);
      } else {
        throw new ParseError(line, "cannot read '" + raw.trim() + "' (is this an AlphaTree plan file?)");
      }
    }
    if (plan.version !== 1) throw new ParseError(1, "version must be 1");
    if (!Array.isArray(plan.goals) || !plan.goals.length) throw new ParseError(1, "goals must list at least one entry");
    plan.known = plan.known || [];
    plan.interests = plan.interests || [];
    if (!(plan.hours_per_week > 0)) throw new ParseError(1, "hours_per_week must be a positive number");
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
      el("thead", {}, [el("tr", {}, [el("th", { text: "I know it" }), el("th", { text: "Goal" }), el("th", { text: "Year" }),
                                      el("th", { text: "Paper" }), el("th", { text: "Hours" })])]),
      el("tbody", {}, rows)
    ]);
    this.message = el("p", { id: "at-message", class: "at-message", role: "status" });
    this.output = el("div", { id: "at-plan" });
    this.importer = el("input", { type: "file", id: "at-import", accept: ".yaml,.yml,text/yaml", onchange: function (ev) { self.importFile(ev.target.files[0]); } });
    var form = el("div", { class: "at-form" }, [
      el("div", { class: "at-controls" }, [
        el("label", {}, ["Hours per week ", this.hours]),
        el("button", { type: "button", id: "at-make", class: "md-button md-button--primary", onclick: function () { self.make(); } }, ["Make my plan"]),
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
      this.setPlan(newPlan(this.data, goals, known, [], hours));
      this.say("Your plan: " + this.plan.steps.length + " papers over " + this.plan.steps[this.plan.steps.length - 1].week + " weeks.");
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
    if (this.plan) this.hours.value = String(this.plan.hours_per_week);
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
    try {
      var plan = replan(this.data, JSON.parse(stored));
      this.setPlan(plan);
      if (plan.changes.length) this.say("The catalogue changed; your plan was re-planned: " + plan.changes.join("; "));
    } catch (e) {
      this.say("Your saved plan could not be read (" + e.message + "); make a new one.", true);
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
    this.setPlan(replan(this.data, this.plan));
  };

  Planner.prototype.render = function () {
    var self = this, plan = this.plan, p = progress(plan), out = this.output;
    out.textContent = "";
    var bar = el("div", { class: "at-progress" }, [el("div", { class: "at-progress-fill", style: "width:" + p.percent + "%" })]);
    out.appendChild(el("h2", { text: "Your plan" }));
    out.appendChild(el("p", { id: "at-progress-text", text: p.percent + "% done · " + p.done + " done, " + p.skipped + " skipped, " + p.todo +
      " to do · " + p.hours_left + " of " + p.hours + " hours left" }));
    out.appendChild(bar);
    var week = null, list = null;
    plan.steps.forEach(function (s) {
      var e = self.data.entries[s.id];
      if (s.week !== week) {
        week = s.week;
        out.appendChild(el("h3", { text: "Week " + week }));
        list = el("ol", { class: "at-steps" });
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
        el("div", { class: "at-dim" }, ["exercise: " + e.exercise]),
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
        var plan = replan(self.data, parsePlan(String(reader.result)));
        self.setPlan(plan);
        self.say("Imported " + file.name + (plan.changes.length ? "; re-planned: " + plan.changes.join("; ") : "") + ".");
      } catch (e) {
        self.say(file.name + ": " + e.message, true);
      }
    };
    reader.readAsText(file);
  };

  var api = { orderPlan: orderPlan, weeksFor: weeksFor, newPlan: newPlan, replan: replan, dumpPlan: dumpPlan,
              parsePlan: parsePlan, progress: progress, resolve: resolve, Planner: Planner };
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
