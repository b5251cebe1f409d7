// The Code Monkeys dashboard: plain DOM over the controller's JSON API, kept current by Server-Sent
// Events (/events). Text only via textContent; no framework, no build step, no CDN.
"use strict";

const STATES = ["failed", "drifting", "unknown", "suspended", "in_sync"];
const FACETS = ["build", "docs", "release", "infra", "deploy", "announce"];
let session = { signed_in: false, csrf: null, user: null };
let fleet = [];
let current = "grid";

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v; else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(c ?? ""));
  return node;
}

function badge(state) {
  const s = String(state ?? "none");
  return el("span", { class: "state " + s }, s.replace("_", " "));
}

function showError(message) { document.getElementById("error").textContent = message || ""; }

class HttpError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function getJSON(url) {
  const r = await fetch(url, { credentials: "same-origin" });
  if (!r.ok) {
    const doc = await r.json().catch(() => ({}));
    throw new HttpError(r.status, url + ": " + r.status + " " + (doc.detail || ""));
  }
  return r.json();
}

async function post(url, body) {
  const headers = { "Content-Type": "application/json" };
  if (session.csrf) headers["X-CSRF-Token"] = session.csrf;
  const r = await fetch(url, { method: "POST", headers, body: JSON.stringify(body), credentials: "same-origin" });
  const doc = await r.json().catch(() => ({}));
  if (!r.ok) throw new HttpError(r.status, typeof doc.detail === "string" ? doc.detail : String(r.status));
  return doc;
}

function status(p) {
  if (p.suspended || p.paused) return "suspended";
  if (p.in_sync === null) return "unknown";
  if (Object.values(p.facets).includes("failed")) return "failed";
  return p.in_sync ? "in_sync" : "drifting";
}

function fill(selector, rows) { document.querySelector(selector + " tbody").replaceChildren(...rows); }
function td(...c) { return el("td", {}, ...c); }
function when(iso) { return iso ? iso.replace("T", " ").replace(/\..*|\+00:00$/, "") : "-"; }
function seconds(s) { return s === null || s === undefined ? "-" : (s < 60 ? s.toFixed(1) + " s" : (s / 60).toFixed(1) + " min"); }
function actionUrl(id, verb) { return "/api/actions/" + id.split("/").map(encodeURIComponent).join("/") + "/" + verb; }

// --- sign-in -------------------------------------------------------------------------------------------

async function refreshSession() {
  session = await getJSON("/ui/session");
  document.getElementById("login").hidden = session.signed_in || !session.writable;
  document.getElementById("signed-in").hidden = !session.signed_in;
  document.getElementById("user").textContent = session.user ? session.user.name + " (" + session.user.role + ")" : "";
}

function wireAuth() {
  document.getElementById("login").addEventListener("submit", async (e) => {
    e.preventDefault();
    const input = document.getElementById("token");
    try {
      await post("/ui/login", { token: input.value });
      showError("");
    } catch (err) { showError("sign-in failed: " + err.message); }
    input.value = "";
    await refreshSession();
    connect();
    await route();
  });
  document.getElementById("logout").addEventListener("click", async () => {
    await post("/ui/logout", {});
    await refreshSession();
    await route();
  });
}

// --- the grid ------------------------------------------------------------------------------------------

function options(select, values) {
  const keep = select.value;
  select.replaceChildren(el("option", { value: "" }, "any"), ...values.map((v) => el("option", { value: v }, v.replace("_", " "))));
  select.value = values.includes(keep) ? keep : "";
}

function labelText(p) { return Object.entries(p.labels).map(([k, v]) => k + "=" + v).join(", "); }

function matches(p) {
  const want = document.getElementById("f-status").value;
  const company = document.getElementById("f-company").value;
  const label = document.getElementById("f-label").value.trim();
  const text = document.getElementById("f-text").value.trim().toLowerCase();
  if (want && status(p) !== want) return false;
  if (company && p.company !== company) return false;
  if (label) {
    const [k, v] = label.split("=", 2);
    if (!(k in p.labels) || (v !== undefined && p.labels[k] !== v)) return false;
  }
  const hay = [p.name, p.company || "", labelText(p), p.language || ""].join(" ").toLowerCase();
  return !text || hay.includes(text);
}

function renderGrid() {
  const rank = (p) => STATES.indexOf(status(p));
  const rows = fleet.filter(matches).sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
  const counts = {};
  for (const p of fleet) counts[status(p)] = (counts[status(p)] || 0) + 1;
  const summary = STATES.filter((s) => counts[s]).map((s) => counts[s] + " " + s.replace("_", " "));
  document.getElementById("summary").textContent =
    fleet.length + " products: " + summary.join(", ") + " (showing " + rows.length + ")";
  fill("#grid", rows.map((p) => {
    const last = p.last_run ? p.last_run.action + " " + p.last_run.status : "-";
    return el("tr", { "data-product": p.name, "data-state": status(p) },
      el("th", { scope: "row" }, el("a", { href: "#/product/" + encodeURIComponent(p.name) }, p.name)),
      td(badge(status(p))),
      td(p.company || "-"),
      ...FACETS.map((f) => el("td", { "data-facet": f }, f in p.facets ? badge(p.facets[f]) : el("span", { class: "na", title: "not declared" }, "-"))),
      el("td", { class: "wide" }, p.version || "-"),
      el("td", { class: "wide" }, labelText(p) || "-"),
      el("td", { class: "wide" }, last));
  }));
}

async function loadGrid() {
  const doc = await getJSON("/api/fleet");
  fleet = doc.products;
  options(document.getElementById("f-status"), STATES);
  options(document.getElementById("f-company"), [...new Set(fleet.map((p) => p.company).filter(Boolean))].sort());
  renderGrid();
}

// --- approve / reject (a product's next actions, the approvals view) -------------------------------------

function decideCell(action, after, said) {
  if (action.verdict !== "hold") return td();
  const parts = [];
  let as = null;
  if (session.user && session.user.name === "admin" && session.user.role === "admin") {
    as = el("input", { "aria-label": "approve " + action.id + " as", placeholder: "approve as", class: "approver" });
    parts.push(as, " ");
  }
  const comment = el("input", { "aria-label": "comment on " + action.id, placeholder: "comment", class: "comment" });
  const approve = el("button", { type: "button", "data-approve": action.id }, "Approve");
  const reject = el("button", { type: "button", "data-reject": action.id, class: "secondary" }, "Reject");
  const result = el("span", { role: "status" });
  const decide = (verb) => async () => {
    const body = { comment: comment.value };
    if (as && as.value) body.approver = as.value;
    try {
      const doc = await post(actionUrl(action.id, verb), body);
      const text = (verb === "approve" ? "approved" : "rejected") + " by " + doc.by + ": now " + doc.verdict;
      result.textContent = text;
      if (said) said.textContent = action.id + ": " + text;
      if (after) await after();
    } catch (err) {
      result.textContent = "refused: " + err.message;
      if (said) said.textContent = action.id + ": refused: " + err.message;
    }
  };
  approve.addEventListener("click", decide("approve"));
  reject.addEventListener("click", decide("reject"));
  return td(...parts, comment, " ", approve, " ", reject, " ", result);
}

// --- a product ---------------------------------------------------------------------------------------

function productName() { return decodeURIComponent(location.hash.replace(/^#\/product\//, "")); }

async function loadProduct(name) {
  document.getElementById("p-name").textContent = name;
  const q = encodeURIComponent(name);
  const [doc, heal, attempts, runs] = await Promise.all([
    getJSON("/api/products/" + q + "/explain"), getJSON("/api/products/" + q + "/heal"),
    getJSON("/api/products/" + q + "/attempts"), getJSON("/api/runs?limit=10"), loadAudit(q)]);
  const failed = Object.values(doc.facets).some((f) => f.state === "failed");
  const state = doc.suspended || doc.paused ? "suspended" : (doc.in_sync ? "in_sync" : (failed ? "failed" : "drifting"));
  document.getElementById("p-status").replaceChildren(badge(state), " observed " + when(doc.observed_at));
  const admin = session.user && session.user.role === "admin";
  document.getElementById("p-admin").hidden = !admin;
  document.getElementById("p-pause").textContent = doc.paused ? "Resume" : "Suspend";
  document.getElementById("p-pause").dataset.paused = doc.paused ? "1" : "";
  fill("#p-facets", Object.entries(doc.facets).map(([k, f]) =>
    el("tr", { "data-facet": k }, el("th", { scope: "row" }, k), td(badge(f.state)), td(String(f.want ?? "")),
      td(String(f.observed ?? "")), td(f.message || ""))));
  document.getElementById("p-obstacles").replaceChildren(...(doc.obstacles.length
    ? doc.obstacles.map((o) => el("li", {}, el("strong", {}, o.kind + ": "), o.message, o.signature ? " (" + o.signature + ")" : ""))
    : [el("li", {}, "nothing stands in the way")]));
  fill("#p-actions", doc.next.map((a) =>
    el("tr", { "data-action": a.id }, el("th", { scope: "row" }, a.id), td(badge(a.verdict)), td(seconds(a.predicted_s)),
      td(a.reason), decideCell(a, () => loadAudit(q)))));
  if (!doc.next.length) fill("#p-actions", [el("tr", {}, el("td", { colspan: "5" }, "no actions: nothing to do"))]);
  document.getElementById("p-attempts").replaceChildren(...(attempts.length ? attempts.map((a) =>
    el("details", { "data-attempt": a.action, ...(a.status === "failed" ? { open: "" } : {}) },
      el("summary", {}, badge(a.status), " " + a.action + " (run #" + a.run + ", " + when(a.finished_at) + ")" + (a.message ? ": " + a.message : "")),
      a.artifacts.length ? kept(a) : "",
      el("pre", { class: "log", tabindex: "0", "aria-label": "log of " + a.action }, (a.truncated ? "…\n" : "") + (a.log || "(no output)"))))
    : [el("p", {}, "none yet")]));
  document.getElementById("p-heal").replaceChildren(...(heal.length ? heal.map((h) =>
    el("details", {}, el("summary", {}, "#" + h.attempt + " " + h.strategy + " " + h.status + " on " + h.commit.slice(0, 12) + (h.reason ? ": " + h.reason : "")),
      el("pre", { class: "diff", tabindex: "0" }, h.patch || "(no patch)"))) : [el("p", {}, "none")]));
  fill("#p-runs", runs.map((r) => el("tr", {}, td("#" + r.id), td(badge(r.status)),
    td(when(r.started_at)), td(JSON.stringify(r.counts || {})))));
}

function kept(a) {
  const url = (name) => "/api/artifact?" + new URLSearchParams({ action: a.action, run: a.run, name });
  return el("div", { class: "kept" }, ...a.artifacts.map((name) => /\.(png|jpg)$/i.test(name)
    ? el("a", { href: url(name) }, el("img", { src: url(name), alt: "screenshot " + name, loading: "lazy" }))
    : el("a", { href: url(name) }, name)));
}

async function loadAudit(quoted) {
  const audit = await getJSON("/api/audit?limit=30&product=" + quoted);
  fill("#p-audit", audit.slice().reverse().map((r) => el("tr", {}, td(when(r.at)),
    td(r.event), td(r.actor || ""), td(r.action_id || ""))));
}

function wireAdmin() {
  const result = document.getElementById("p-admin-result");
  const run = (verb) => async () => {
    try {
      await post("/api/products/" + encodeURIComponent(productName()) + "/" + verb(), {});
      result.textContent = "done";
      await loadProduct(productName());
    } catch (err) { result.textContent = "refused: " + err.message; }
  };
  document.getElementById("p-reconcile").addEventListener("click", run(() => "reconcile"));
  document.getElementById("p-pause").addEventListener("click",
    run(() => (document.getElementById("p-pause").dataset.paused ? "resume" : "suspend")));
}

// --- approvals -----------------------------------------------------------------------------------------------

async function loadApprovals() {
  document.getElementById("a-summary").textContent = "observing the fleet…";
  const held = await getJSON("/api/approvals");
  document.getElementById("a-summary").textContent = held.length + " held action(s)" +
    (session.signed_in ? "" : ": sign in as an approver to decide");
  document.getElementById("a-list").replaceChildren(...held.map((a) => {
    const last = a.last ? a.last.event.replace("approval.", "") + " by " + a.last.actor + " " + when(a.last.at) +
      (a.last.data && a.last.data.comment ? ": " + a.last.data.comment : "") : "no decision yet";
    const cell = decideCell({ id: a.id, verdict: "hold" }, loadApprovals, document.getElementById("a-result"));
    return el("article", { class: "held", "data-action": a.id, "aria-label": a.id },
      el("h3", {}, el("a", { href: "#/product/" + encodeURIComponent(a.product) }, a.id)),
      el("p", {}, badge("hold"), " by rule ", el("code", {}, a.rule || "-"), ": " + (a.message || "")),
      el("p", {}, "company " + (a.company || "-") + "; approvers: " + (a.approvers.length ? a.approvers.join(", ") : "anyone") +
        "; bound to revision " + String(a.revision || "").slice(0, 12) + ", fingerprint " + a.fingerprint.slice(0, 12)),
      el("p", {}, "why: " + a.reason),
      el("pre", { tabindex: "0", "aria-label": "parameters of " + a.id }, JSON.stringify(a.params, null, 2)),
      el("p", { class: "last" }, last),
      el("div", { class: "decide" }, ...cell.childNodes));
  }));
}

// --- cross-repo changes -----------------------------------------------------------------------------------

const OPEN_CHANGE = ["proposed", "building", "green", "red", "conflict"];

async function loadChanges() {
  const rows = await getJSON("/api/changes");
  const byChange = new Map();
  for (const r of rows) {
    if (!byChange.has(r.change)) byChange.set(r.change, []);
    byChange.get(r.change).push(r);
  }
  document.getElementById("c-summary").textContent = byChange.size + " change(s), " + rows.length + " proposal(s)";
  const admin = session.user && session.user.role === "admin";
  const result = document.getElementById("c-result");
  document.getElementById("c-list").replaceChildren(...[...byChange.entries()].map(([id, parts]) => {
    const first = parts[0];
    const open = parts.filter((r) => OPEN_CHANGE.includes(r.status)).map((r) => r.product);
    const drop = el("button", { type: "button", class: "secondary", "data-drop": id }, "Drop change " + id);
    drop.addEventListener("click", async () => {
      try {
        const doc = await post("/api/changes/" + encodeURIComponent(id) + "/drop", { products: open });
        result.textContent = "change " + id + " dropped by " + doc.by + " for " + doc.dropped.join(", ");
        await loadChanges();
      } catch (err) { result.textContent = "change " + id + ": refused: " + err.message; }
    });
    const head = el("thead", {}, el("tr", {}, ...["Product", "State", "Files", "Lines", "Why"].map((h) => el("th", { scope: "col" }, h))));
    const body = el("tbody", {}, ...parts.map((r) => el("tr", { "data-product": r.product, "data-state": r.state },
      el("th", { scope: "row" }, el("a", { href: "#/product/" + encodeURIComponent(r.product) }, r.product)),
      td(badge(r.state)), td(r.files.join(", ")), td(String(r.lines)),
      td(r.rule ? el("span", {}, "by rule ", el("code", {}, r.rule), ": " + r.blocked) : (r.reason || "")))));
    const diffs = parts.map((r) => el("details", { "data-diff": r.product },
      el("summary", {}, "diff of " + r.product + " (" + r.branch + ")"),
      el("pre", { class: "diff", tabindex: "0", "aria-label": "diff of " + r.product }, r.diff || "(no diff)")));
    return el("article", { class: "change", "data-change": id, "aria-label": "change " + id },
      el("h3", {}, "Change " + id + ": " + (first.message || first.kind)),
      el("p", {}, first.kind + " on " + (first.selector || "-") + " by " + (first.author || "-") + ", " + when(first.created_at) +
        (first.command.length ? "; command: " + first.command.join(" ") : "")),
      el("div", { class: "scroll" }, el("table", {}, head, body)),
      ...diffs,
      admin && open.length ? el("p", { class: "decide" }, drop) : "");
  }));
}

// --- swarm, runs, audit ----------------------------------------------------------------------------------------

function table(caption, head, rows) {
  if (!rows.length) return el("section", {}, el("h3", {}, caption), el("p", {}, "none"));
  return el("section", {}, el("h3", {}, caption), el("div", { class: "scroll" }, el("table", {},
    el("thead", {}, el("tr", {}, ...head.map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, ...rows.map((r) => el("tr", {}, ...r.map((c) => td(String(c ?? "-")))))))));
}

async function loadSwarm() {
  const s = await getJSON("/api/swarm");
  const pct = (x) => (x === null || x === undefined ? "-" : (100 * x).toFixed(0) + " %");
  const predictions = Object.entries(s.predictions).flatMap(([p, rows]) =>
    rows.map((r) => [p, r.kind, seconds(r.predicted_s), r.runs, r.backtested, pct(r.mdape), pct(r.jenkins_mdape)]));
  document.getElementById("s-body").replaceChildren(
    table("Top failure signatures", ["Signature", "Kind", "Builds", "Products", "Last seen", "Fixed by"],
      s.signatures.map((g) => [g.summary, g.kind, g.builds, g.products.join(", "), when(g.last_seen),
        g.fixed_by.templates.map((t) => "template " + t.id).concat(g.fixed_by.heals.map((h) => "heal " + h.product)).join(", ")])),
    table("Fix templates and their record", ["Id", "Description", "Origin", "Successes", "Failures"],
      s.templates.map((t) => [t.id, t.description, t.origin.kind + " " + (t.origin.product || ""), t.successes, t.failures])),
    table("Predictions vs actuals", ["Product", "Kind", "Predicted", "Runs", "Backtested", "Error (ours)", "Error (Jenkins' mean of 3)"], predictions),
    table("Dependency conflicts", ["Product", "Tool", "Package", "Involved", "At"],
      s.conflicts.map((c) => [c.product, c.tool, c.package, c.involved.join(", "), when(c.at)])),
    table("Flaky builds", ["Product", "Signature", "Flaked", "Last seen"],
      s.flaky.map((f) => [f.product, f.summary, f.flaked, when(f.last_seen)])),
    table("Getting slower", ["Product", "Kind", "From", "To", "p"],
      s.slowdowns.map((x) => [x.product, x.kind, seconds(x.from_s), seconds(x.to_s), x.p])));
}

async function loadRuns() {
  const runs = await getJSON("/api/runs?limit=100");
  fill("#r-runs", runs.map((r) => el("tr", {}, td("#" + r.id), td(badge(r.status)), td(String(r.revision || "").slice(0, 12)),
    td(when(r.started_at)), td(when(r.finished_at)), td(JSON.stringify(r.counts || {})))));
}

async function loadAuditView() {
  const [check, records] = await Promise.all([getJSON("/api/audit/verify"), getJSON("/api/audit?limit=300")]);
  document.getElementById("au-chain").replaceChildren(check.ok
    ? el("span", { class: "state in_sync" }, "hash chain verified: " + check.records + " records")
    : el("span", { class: "state failed" }, "hash chain BROKEN at seq " + check.broken_at + ": " + check.reason));
  fill("#au-records", records.slice().reverse().map((r) => el("tr", {}, td(String(r.seq)), td(when(r.at)), td(r.event),
    td(r.actor || ""), td(r.product || ""), td(r.action_id || ""), el("td", { class: "hash" }, (r.hash || "").slice(0, 16)))));
}

// --- live updates ------------------------------------------------------------------------------------------

let source = null;
let pending = null;

function connect() {
  if (source) source.close();
  source = new EventSource("/events");
  const text = document.getElementById("live-text");
  source.onopen = () => { document.body.dataset.live = "on"; text.textContent = "live"; };
  source.onerror = () => { document.body.dataset.live = "off"; text.textContent = "reconnecting…"; };
  const on = (e) => {
    const doc = JSON.parse(e.data);
    text.textContent = "live: " + doc.event.replace(".", " ") + " " + (doc.product || "") + (doc.outcome ? " (" + doc.outcome + ")" : "");
    document.body.dataset.lastEvent = doc.id;
    if (doc.event === "reconcile.started") return;
    const concerns = current !== "product" || productName() === doc.product;
    if (concerns && ["grid", "product", "approvals", "changes", "runs", "audit"].includes(current)) {
      clearTimeout(pending);  // a burst of events: one reload
      pending = setTimeout(() => refresh().catch((err) => showError(err.message)), 150);
    }
  };
  for (const name of ["reconcile.started", "reconcile.finished", "approval.given", "approval.rejected", "product.suspended", "product.resumed", "change.dropped"]) {
    source.addEventListener(name, on);
  }
}

// --- routing -----------------------------------------------------------------------------------------------

const VIEWS = { grid: loadGrid, product: () => loadProduct(productName()), approvals: loadApprovals, changes: loadChanges, swarm: loadSwarm, runs: loadRuns, audit: loadAuditView };

function refresh() { return VIEWS[current](); }

async function route() {
  const m = location.hash.match(/^#\/(product|approvals|changes|swarm|runs|audit)(\/.*)?$/);
  current = m ? m[1] : "grid";
  for (const v of Object.keys(VIEWS)) document.getElementById(v + "-view").hidden = v !== current;
  for (const a of document.querySelectorAll("nav a")) {
    if (a.dataset.view === current) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
  }
  try {
    await refresh();
    showError("");
  } catch (err) {
    showError(err.status === 401 ? "sign in with a token to read the fleet" : err.message);
  }
}

document.addEventListener("DOMContentLoaded", async () => {
  wireAuth();
  wireAdmin();
  for (const id of ["f-status", "f-company", "f-label", "f-text"]) {
    document.getElementById(id).addEventListener("input", renderGrid);
  }
  window.addEventListener("hashchange", route);
  await refreshSession().catch(() => {});
  connect();
  await route();
});
