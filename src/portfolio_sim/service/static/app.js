// The what-if page: edit the plan, POST the edits (debounced), show the answers.
// No library, no CDN: plain DOM and an inline SVG chart. See docs/service.md.
"use strict";

const clientId = (self.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Math.random()).slice(2);
let original = null;   // GET /api/scenario as loaded
let plan = null;       // the plan as edited on the page
let timer = null;      // debounce
let controller = null; // the forecast request in flight
let lastAnswer = null;

const $ = (sel) => document.querySelector(sel);
const clone = (x) => JSON.parse(JSON.stringify(x));
const el = (tag, attrs = {}, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") e.textContent = v; else e.setAttribute(k, v);
  }
  for (const kid of kids) e.append(kid);
  return e;
};

function setStatus(text, kind) {
  const s = $("#status");
  s.textContent = text;
  s.className = "status" + (kind ? " " + kind : "");
}

// ---- edits: the difference between the page's plan and the file ----------------------
function edits() {
  const out = [];
  for (const [i, t] of plan.teams.entries()) {
    const o = original.teams[i];
    for (const f of ["members", "focus", "wip_limit"]) {
      if (t[f] !== o[f]) out.push({ kind: "team", id: t.id, field: f, value: t[f] });
    }
    for (const [k, c] of t.changes.entries()) {
      for (const f of ["on", "members", "ramp_days"]) {
        if (c[f] !== o.changes[k][f]) out.push({ kind: "team", id: t.id, field: `changes.${k}.${f}`, value: c[f] });
      }
    }
  }
  const origById = Object.fromEntries(original.features.map((f) => [f.id, f]));
  for (const f of plan.features) {
    if (f.in && f.not_before !== origById[f.id].not_before) {
      out.push({ kind: "feature", id: f.id, field: "not_before", value: f.not_before });
    }
  }
  const order = plan.features.map((f) => f.id);
  if (order.join("\n") !== original.features.map((f) => f.id).join("\n")) {
    out.push({ kind: "order", value: plan.features.filter((f) => f.in).map((f) => f.id) });
  }
  if (original.budget && plan.budget.total !== original.budget.total) {
    out.push({ kind: "budget", field: "total", value: plan.budget.total });
  }
  if (plan.horizon !== original.horizon) out.push({ kind: "horizon", value: plan.horizon });
  for (const f of plan.features) {
    if (!f.in) out.push({ kind: "feature", id: f.id, field: "in", value: false });
  }
  return out;
}

function runOptions() {
  const body = { edits: edits() };
  const trials = parseInt($("#trials").value, 10);
  const seed = parseInt($("#seed").value, 10);
  if (Number.isFinite(trials)) body.trials = trials;
  if (Number.isFinite(seed)) body.seed = seed;
  return body;
}

function changed() {
  clearTimeout(timer);
  timer = setTimeout(runForecast, 250);
  setStatus("changed…", "busy");
}

async function runForecast() {
  if (controller) controller.abort();   // a newer change supersedes the running one
  controller = new AbortController();
  const mine = controller;
  setStatus("computing…", "busy");
  try {
    const res = await fetch("/api/forecast", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Client-Id": clientId },
      body: JSON.stringify(runOptions()),
      signal: mine.signal,
    });
    if (mine !== controller) return;
    const doc = await res.json();
    if (res.status === 409) return;      // superseded by our own newer request
    if (res.status === 422) { showProblems(doc.problems); setStatus("invalid plan", "error"); return; }
    if (!res.ok) { showProblems([{ message: doc.detail || `HTTP ${res.status}` }]); setStatus("error", "error"); return; }
    showProblems([]);
    lastAnswer = doc;
    render(doc);
    setStatus(`up to date (${doc.edited.trials.toLocaleString()} trials, seed ${doc.edited.seed})`, "");
  } catch (err) {
    if (err.name !== "AbortError") { setStatus("no answer: " + err.message, "error"); }
  }
}

function showProblems(problems) {
  const box = $("#problems");
  box.hidden = problems.length === 0;
  box.textContent = problems.map((p) => p.message).join("\n");
}

// ---- formatting -------------------------------------------------------------------------
function money(x, currency) {
  if (x === null || x === undefined) return "–";
  try {
    return new Intl.NumberFormat("en", { style: "currency", currency: currency || "EUR", maximumFractionDigits: 0 }).format(x);
  } catch (_) { return Math.round(x).toLocaleString(); }
}
const pct = (x) => (x === null || x === undefined) ? "–" : (100 * x).toFixed(1) + " %";
const signed = (x, text) => (x > 0 ? "+" : x < 0 ? "−" : "±") + text;

function setCard(metric, value, deltaText, worse) {
  const card = document.querySelector(`[data-metric="${metric}"]`);
  card.querySelector(".value").textContent = value;
  const d = card.querySelector(".delta");
  d.textContent = deltaText;
  d.className = "delta" + (worse === null ? "" : worse ? " worse" : " better");
}

function dayDelta(days) {
  if (days === null || days === undefined) return ["", null];
  if (days === 0) return ["no change", null];
  return [signed(days, `${Math.abs(days)} d`), days > 0];
}

function moneyDelta(x, currency, higherIsWorse) {
  if (x === null || x === undefined) return ["", null];
  if (x === 0) return ["no change", null];
  return [signed(x, money(Math.abs(x), currency)), higherIsWorse ? x > 0 : x < 0];
}

function render(doc) {
  const a = doc.edited, d = doc.delta, cur = a.currency;
  setCard("portfolio-p50", a.portfolio.p50 || "after horizon", ...dayDelta(d.portfolio.p50_days));
  setCard("portfolio-p85", a.portfolio.p85 || "after horizon", ...dayDelta(d.portfolio.p85_days));
  setCard("cost-p50", a.cost ? money(a.cost.p50, cur) : "–", ...moneyDelta(d.cost && d.cost.p50, cur, true));
  setCard("cost-p80", a.cost ? money(a.cost.p80, cur) : "–", ...moneyDelta(d.cost && d.cost.p80, cur, true));
  const ov = d.budget_overrun_probability;
  setCard("overrun", pct(a.budget_overrun_probability),
    ov === null ? "" : ov === 0 ? "no change" : signed(ov, `${Math.abs(100 * ov).toFixed(1)} pt`), ov ? ov > 0 : null);
  setCard("npv-mean", money(a.npv_mean, cur), ...moneyDelta(d.npv_mean, cur, false));
  const tbody = $("#deadlines tbody");
  tbody.replaceChildren();
  for (const x of a.deadlines) {
    const dd = d.deadlines[x.id];
    const text = dd === undefined || dd === null ? "" : dd === 0 ? "no change" : signed(dd, `${Math.abs(100 * dd).toFixed(1)} pt`);
    tbody.append(el("tr", { "data-feature": x.id }, el("td", { text: x.id }), el("td", { text: x.deadline }),
      el("td", { text: pct(x.probability) }), el("td", { text })));
  }
  const w = $("#warnings");
  w.hidden = a.warnings.length === 0;
  w.textContent = a.warnings.join("\n");
  drawChart(a, doc.base);
}

// ---- the done-date chart (inline SVG) ------------------------------------------------------
const NS = "http://www.w3.org/2000/svg";
const svgEl = (tag, attrs) => {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
};
const dayNum = (iso) => Date.parse(iso + "T00:00:00Z") / 86400000;

function drawChart(a, base) {
  const svg = $("#chart");
  svg.replaceChildren();
  const baseP85 = Object.fromEntries(base.features.map((f) => [f.id, f.finish.p85]));
  const all = [];
  for (const f of a.features) for (const k of ["p10", "p50", "p85", "p95"]) if (f.finish[k]) all.push(dayNum(f.finish[k]));
  const start = dayNum(original.start);
  const end = plan.horizon ? dayNum(plan.horizon) : Math.max(start + 30, ...all);
  const left = 190, width = 560, rowH = 18, top = 22;
  const x = (iso) => left + width * (Math.min(dayNum(iso), end) - start) / Math.max(1, end - start);
  const xEnd = left + width;
  svg.setAttribute("width", left + width + 20);
  svg.setAttribute("height", top + rowH * a.features.length + 10);
  for (let m = 0; m <= 4; m++) {
    const t = start + (end - start) * m / 4, px = left + width * m / 4;
    svg.append(svgEl("line", { x1: px, x2: px, y1: 12, y2: top + rowH * a.features.length, class: "axis" }));
    const label = svgEl("text", { x: px, y: 10, "text-anchor": "middle" });
    label.textContent = new Date(t * 86400000).toISOString().slice(0, 7);
    svg.append(label);
  }
  a.features.forEach((f, i) => {
    const y = top + i * rowH + rowH / 2;
    const g = svgEl("g", { class: "bar", "data-feature": f.id });
    const name = svgEl("text", { x: left - 6, y: y + 4, "text-anchor": "end" });
    name.textContent = f.id;
    g.append(name);
    const fx = (k) => (f.finish[k] ? x(f.finish[k]) : xEnd);
    g.append(svgEl("line", { x1: fx("p10"), x2: fx("p95"), y1: y, y2: y, class: "range" }));
    g.append(svgEl("rect", { x: fx("p50"), y: y - 5, width: Math.max(2, fx("p85") - fx("p50")), height: 10, class: "box" }));
    if (baseP85[f.id]) {
      const bx = x(baseP85[f.id]);
      g.append(svgEl("line", { x1: bx, x2: bx, y1: y - 7, y2: y + 7, class: "base" }));
    }
    if (f.deadline) {
      const dx = x(f.deadline);
      g.append(svgEl("line", { x1: dx, x2: dx, y1: y - 8, y2: y + 8, class: "deadline" }));
    }
    const tip = svgEl("title", {});
    tip.textContent = `${f.id} (${f.team}): P50 ${f.finish.p50 || "after horizon"}, P85 ${f.finish.p85 || "after horizon"}`;
    g.append(tip);
    svg.append(g);
  });
}

// ---- controls -------------------------------------------------------------------------------
function numberInput(value, attrs, onChange) {
  const input = el("input", { type: "number", ...attrs });
  input.value = value;
  input.addEventListener("input", () => {
    const v = input.valueAsNumber;
    if (Number.isFinite(v)) { onChange(v); changed(); }
  });
  return input;
}

function dateInput(value, onChange) {
  const input = el("input", { type: "date" });
  input.value = value || "";
  input.addEventListener("change", () => { onChange(input.value || null); changed(); });
  return input;
}

function renderTeams() {
  const box = $("#teams");
  box.replaceChildren();
  for (const t of plan.teams) {
    const div = el("div", { class: "team", "data-team": t.id }, el("h4", { text: `${t.id} (${t.kind})` }));
    div.append(el("label", { text: "members " }, numberInput(t.members, { min: 0, step: 1, "data-field": "members" }, (v) => { t.members = v; })));
    if (t.kind === "effort") {
      div.append(el("label", { text: "focus " }, numberInput(t.focus, { min: 0.05, max: 1, step: 0.05, "data-field": "focus" }, (v) => { t.focus = v; })));
      div.append(el("label", { text: "WIP " }, numberInput(t.wip_limit, { min: 1, step: 1, "data-field": "wip_limit" }, (v) => { t.wip_limit = v; })));
    }
    t.changes.forEach((c, k) => {
      const row = el("div", { class: "change" }, `change ${k + 1}: `);
      row.append(el("label", { text: "on " }, dateInput(c.on, (v) => { c.on = v; })));
      row.append(el("label", { text: "members " }, numberInput(c.members, { min: 0, step: 1 }, (v) => { c.members = v; })));
      row.append(el("label", { text: "ramp days " }, numberInput(c.ramp_days, { min: 0, step: 1 }, (v) => { c.ramp_days = v; })));
      div.append(row);
    });
    box.append(div);
  }
}

function renderFeatures() {
  const list = $("#features");
  list.replaceChildren();
  plan.features.forEach((f, i) => {
    const li = el("li", { "data-feature": f.id, class: f.in ? "" : "out" });
    const keep = el("input", { type: "checkbox", title: "in the plan", "data-field": "in" });
    keep.checked = f.in;
    keep.addEventListener("change", () => { f.in = keep.checked; renderFeatures(); changed(); });
    const up = el("button", { type: "button", title: "earlier", "data-action": "up", text: "↑" });
    const down = el("button", { type: "button", title: "later", "data-action": "down", text: "↓" });
    up.disabled = i === 0;
    down.disabled = i === plan.features.length - 1;
    const move = (k) => { const [x] = plan.features.splice(i, 1); plan.features.splice(i + k, 0, x); renderFeatures(); changed(); };
    up.addEventListener("click", () => move(-1));
    down.addEventListener("click", () => move(1));
    li.append(keep, " ", up, down, " ", el("span", { class: "fid", text: f.id }), ` (${f.team}) `,
      el("label", { text: "not before " }, dateInput(f.not_before, (v) => { f.not_before = v; })));
    list.append(li);
  });
}

function renderControls() {
  $("#scenario-name").textContent = original.name;
  document.title = `${original.name}: what-if`;
  const budget = $("#budget");
  budget.disabled = !original.budget;
  budget.value = plan.budget ? plan.budget.total : "";
  $("#horizon").value = plan.horizon || "";
  renderTeams();
  renderFeatures();
}

async function saveVariant() {
  const out = $("#save-result");
  const name = $("#variant-name").value.trim();
  out.textContent = "saving…";
  const res = await fetch("/api/save-variant", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ name, edits: edits(), overwrite: $("#overwrite").checked }),
  });
  const doc = await res.json();
  if (res.ok) out.textContent = `saved variant ${doc.saved} into ${doc.file} (${doc.steps.length} changes)`;
  else if (doc.problems) out.textContent = doc.problems.map((p) => p.message).join("\n");
  else out.textContent = doc.detail || `HTTP ${res.status}`;
  out.dataset.state = res.ok ? "saved" : "refused";
}

async function start() {
  const res = await fetch("/api/scenario");
  original = await res.json();
  for (const f of original.features) f.in = true;
  plan = clone(original);
  $("#trials").value = original.defaults.trials;
  $("#trials").max = original.limits.max_trials;
  $("#seed").value = original.defaults.seed;
  renderControls();
  $("#budget").addEventListener("input", () => {
    const v = $("#budget").valueAsNumber;
    if (plan.budget && Number.isFinite(v)) { plan.budget.total = v; changed(); }
  });
  $("#horizon").addEventListener("change", () => { plan.horizon = $("#horizon").value || original.horizon; changed(); });
  $("#trials").addEventListener("input", changed);
  $("#seed").addEventListener("input", changed);
  $("#reset").addEventListener("click", () => { plan = clone(original); renderControls(); changed(); });
  $("#save").addEventListener("click", saveVariant);
  runForecast();
}

start();
