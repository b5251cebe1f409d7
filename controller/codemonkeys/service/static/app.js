// The Code Monkeys dashboard: plain DOM over the controller's JSON API. Text only via textContent.
"use strict";

const STATES = ["failed", "drifting", "unknown", "in_sync"];
let csrf = null;
let fleet = [];

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v; else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(c ?? ""));
  return node;
}

function badge(state) {
  return el("span", { class: "state " + String(state || "none") }, String(state ?? "none"));
}

function showError(message) { document.getElementById("error").textContent = message || ""; }

async function getJSON(url) {
  const r = await fetch(url, { credentials: "same-origin" });
  if (!r.ok) throw new Error(url + ": " + r.status + " " + (await r.text()));
  return r.json();
}

async function post(url, body) {
  const headers = { "Content-Type": "application/json" };
  if (csrf) headers["X-CSRF-Token"] = csrf;
  const r = await fetch(url, { method: "POST", headers, body: JSON.stringify(body), credentials: "same-origin" });
  const doc = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(doc.detail || String(r.status));
  return doc;
}

function status(p) {
  if (p.in_sync === null) return "unknown";
  if (Object.values(p.facets).includes("failed")) return "failed";
  return p.in_sync ? "in_sync" : "drifting";
}

// --- sign-in -------------------------------------------------------------------------------------------

async function refreshSession() {
  const s = await getJSON("/ui/session");
  csrf = s.csrf;
  document.getElementById("login").hidden = s.signed_in;
  document.getElementById("signed-in").hidden = !s.signed_in;
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
  });
  document.getElementById("logout").addEventListener("click", async () => {
    await post("/ui/logout", {});
    await refreshSession();
  });
}

// --- the grid ------------------------------------------------------------------------------------------

function options(select, values) {
  const keep = select.value;
  select.replaceChildren(el("option", { value: "" }, "any"), ...values.map((v) => el("option", { value: v }, v)));
  select.value = values.includes(keep) ? keep : "";
}

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
  return !text || p.name.toLowerCase().includes(text);
}

function renderGrid() {
  const rows = fleet.filter(matches)
    .sort((a, b) => STATES.indexOf(status(a)) - STATES.indexOf(status(b)) || a.name.localeCompare(b.name));
  const counts = {};
  for (const p of fleet) counts[status(p)] = (counts[status(p)] || 0) + 1;
  const summary = STATES.filter((s) => counts[s]).map((s) => counts[s] + " " + s.replace("_", " "));
  document.getElementById("summary").textContent =
    fleet.length + " products: " + summary.join(", ") + " (showing " + rows.length + ")";
  const body = document.querySelector("#grid tbody");
  body.replaceChildren(...rows.map((p) => {
    const facets = el("td", {}, ...Object.entries(p.facets).map(([k, v]) => el("span", {}, k + " ", badge(v), " ")));
    const last = p.last_run ? "#" + p.last_run.run + " " + p.last_run.action + " " + p.last_run.status : "-";
    return el("tr", { "data-product": p.name },
      el("td", {}, el("a", { href: "#/product/" + encodeURIComponent(p.name) }, p.name)),
      el("td", {}, badge(status(p))),
      el("td", {}, p.company || "-"),
      el("td", {}, Object.entries(p.labels).map(([k, v]) => k + "=" + v).join(", ") || "-"),
      facets,
      el("td", {}, p.version || "-"),
      el("td", {}, last));
  }));
}

async function loadGrid() {
  const doc = await getJSON("/api/fleet");
  fleet = doc.products;
  options(document.getElementById("f-status"), STATES);
  options(document.getElementById("f-company"), [...new Set(fleet.map((p) => p.company).filter(Boolean))].sort());
  renderGrid();
}

// --- a product ---------------------------------------------------------------------------------------

function approveCell(action) {
  if (action.verdict !== "hold") return el("td", {});
  const name = el("input", { "aria-label": "approver for " + action.id, placeholder: "your name", class: "approver" });
  const comment = el("input", { "aria-label": "comment for " + action.id, placeholder: "comment" });
  const button = el("button", { type: "button", "data-approve": action.id }, "Approve");
  const result = el("span", { role: "status" });
  button.addEventListener("click", async () => {
    try {
      const doc = await post("/api/actions/" + action.id.split("/").map(encodeURIComponent).join("/") + "/approve", { approver: name.value, comment: comment.value });
      result.textContent = "approved: now " + doc.verdict;
      await loadAudit(location.hash.replace(/^#\/product\//, ""));
    } catch (err) { result.textContent = "refused: " + err.message; }
  });
  return el("td", {}, name, " ", comment, " ", button, " ", result);
}

function fill(selector, rows) { document.querySelector(selector + " tbody").replaceChildren(...rows); }

async function loadProduct(name) {
  document.getElementById("p-name").textContent = name;
  document.getElementById("p-status").textContent = "observing…";
  const q = encodeURIComponent(name);
  const [doc, heal, runs] = await Promise.all([
    getJSON("/api/products/" + q + "/explain"), getJSON("/api/products/" + q + "/heal"),
    getJSON("/api/runs?limit=10"), loadAudit(encodeURIComponent(name))]);
  document.getElementById("p-status").replaceChildren(
    badge(doc.in_sync ? "in_sync" : "drifting"), doc.suspended ? " suspended" : "", " observed " + doc.observed_at);
  fill("#p-facets", Object.entries(doc.facets).map(([k, f]) =>
    el("tr", {}, el("td", {}, k), el("td", {}, badge(f.state)), el("td", {}, String(f.want ?? "")),
      el("td", {}, String(f.observed ?? "")), el("td", {}, f.message || ""))));
  document.getElementById("p-obstacles").replaceChildren(...(doc.obstacles.length
    ? doc.obstacles.map((o) => el("li", {}, el("strong", {}, o.kind + ": "), o.message, o.signature ? " (" + o.signature + ")" : ""))
    : [el("li", {}, "nothing stands in the way")]));
  fill("#p-actions", doc.next.map((a) =>
    el("tr", { "data-action": a.id }, el("td", {}, a.id), el("td", {}, badge(a.verdict)), el("td", {}, a.reason), approveCell(a))));
  document.getElementById("p-heal").replaceChildren(...(heal.length ? heal.map((h) =>
    el("details", {}, el("summary", {}, "#" + h.attempt + " " + h.strategy + " " + h.status + " on " + h.commit.slice(0, 12) + (h.reason ? ": " + h.reason : "")),
      el("pre", {}, h.patch || "(no patch)"))) : [el("p", {}, "none")]));
  fill("#p-runs", runs.map((r) => el("tr", {}, el("td", {}, "#" + r.id), el("td", {}, badge(r.status)),
    el("td", {}, r.started_at), el("td", {}, JSON.stringify(r.counts || {})))));
}

async function loadAudit(quoted) {
  const audit = await getJSON("/api/audit?limit=30&product=" + quoted);
  fill("#p-audit", audit.slice().reverse().map((r) => el("tr", {}, el("td", {}, r.at || ""),
    el("td", {}, r.event), el("td", {}, r.actor || ""), el("td", {}, r.action_id || ""))));
}

// --- routing -----------------------------------------------------------------------------------------------

async function route() {
  const m = location.hash.match(/^#\/product\/(.+)$/);
  document.getElementById("grid-view").hidden = !!m;
  document.getElementById("product-view").hidden = !m;
  try {
    if (m) await loadProduct(decodeURIComponent(m[1])); else await loadGrid();
    showError("");
  } catch (err) { showError(err.message); }
}

document.addEventListener("DOMContentLoaded", async () => {
  wireAuth();
  for (const id of ["f-status", "f-company", "f-label", "f-text"]) {
    document.getElementById(id).addEventListener("input", renderGrid);
  }
  window.addEventListener("hashchange", route);
  await refreshSession().catch(() => {});
  await route();
  setInterval(() => { if (!location.hash.startsWith("#/product/")) loadGrid().catch(() => {}); }, 5000);
});
