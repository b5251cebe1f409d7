// The dashboard's only script: live updates. The pages are rendered by the server and work without it.
// On a Server-Sent Event (/events) that concerns this page, re-fetch the page's main region as a
// server-rendered fragment (X-Fragment: main, like htmx's hx-select) and swap it in, keeping focus,
// typed values, open <details> and the scroll position (a log whose action turns failed opens itself).
// Besides: a "reconcile queued" notice goes when that reconcile ends; a running action's page shows
// the newest line it hears of and reloads its journaled log every few seconds (following its end if
// the reader is there); a running action's time advances each second.
// Only a page for a reader (main[data-live]) opens the stream: never the sign-in page.
// No framework, no build step, no CDN.
"use strict";

const EVENTS = ["reconcile.queued", "reconcile.started", "reconcile.finished", "approval.given",
  "approval.rejected", "product.suspended", "product.resumed", "change.dropped",
  "action.started", "action.progress", "action.finished"];
const FOCUSABLE = "a, button, input, select, textarea, summary, [tabindex]";
const PROGRESS_REFRESH_MS = 2000;  // while an action runs, its page reloads its journal at most this often
let pending = null;
let progressTimer = null;
let inflight = false;

function keyOf(node, main) {
  if (node.id) return "#" + node.id;
  return "@" + [...main.querySelectorAll(FOCUSABLE)].indexOf(node);
}

function find(key, main) {
  if (key.startsWith("#")) return document.getElementById(key.slice(1));
  return main.querySelectorAll(FOCUSABLE)[Number(key.slice(1))] || null;
}

function swap(main, html) {
  const active = document.activeElement;
  const focus = active && main.contains(active) ? keyOf(active, main) : null;
  const typed = new Map();
  for (const input of main.querySelectorAll("input[id], select[id], textarea[id]")) {
    if (input.type !== "hidden") typed.set(input.id, input.value);
  }
  const before = new Map([...main.querySelectorAll("details[data-key]")].map(
    (d) => [d.dataset.key, { open: d.open, status: d.dataset.status || "" }]));
  const x = window.scrollX, y = window.scrollY;
  const following = document.getElementById("log") && !document.querySelector("[data-final]") &&
    window.innerHeight + y >= document.documentElement.scrollHeight - 8;  // at the end of a growing log
  main.innerHTML = html;
  for (const [id, value] of typed) {
    const input = document.getElementById(id);
    if (input && main.contains(input)) input.value = value;
  }
  for (const d of main.querySelectorAll("details[data-key]")) {
    const was = before.get(d.dataset.key);
    if (d.dataset.status === "failed" && (!was || was.status !== "failed")) d.open = true;  // turned red
    else if (was) d.open = was.open;
  }
  if (focus) {
    const again = find(focus, main);
    if (again) again.focus({ preventScroll: true });
  }
  window.scrollTo(x, following ? document.documentElement.scrollHeight : y);
  tick();
  document.body.dataset.swaps = String(Number(document.body.dataset.swaps || 0) + 1);
}

async function refresh() {
  if (inflight) { schedule(); return; }
  inflight = true;
  try {
    const r = await fetch(location.href, { headers: { "X-Fragment": "main" }, credentials: "same-origin" });
    if (r.ok) {
      swap(document.getElementById("content"), await r.text());
      heldCount(r.headers.get("X-Held-Count"));
    }
  } finally {
    inflight = false;
  }
}

function heldCount(n) {  // the Approvals link's count of held actions, as the fragment's answer says
  const count = document.getElementById("held-count");
  if (!count || n === null) return;
  count.hidden = n === "0";
  count.firstChild.textContent = n;
}

function schedule() {
  clearTimeout(pending);  // a burst of events: one refresh
  pending = setTimeout(() => refresh().catch(() => {}), 150);
}

function scheduleSoon() {  // at most one refresh per PROGRESS_REFRESH_MS however many lines arrive
  if (progressTimer) return;
  progressTimer = setTimeout(() => { progressTimer = null; refresh().catch(() => {}); }, PROGRESS_REFRESH_MS);
}

// --- what each page listens to -------------------------------------------------------------------------

function clearNotice(doc) {  // "reconcile queued": gone when that product's reconcile ends
  const notice = document.getElementById("notice");
  if (notice && notice.dataset.until === doc.event && notice.dataset.product === doc.product) notice.remove();
}

function onActionPage(box, doc) {
  if (box.dataset.final) return;  // a finished action's page does not change
  if (doc.action !== box.dataset.action || String(doc.run) !== box.dataset.run) return;
  if (doc.event === "action.progress") {  // the newest line at once; the journal's log, numbered, soon
    const now = document.getElementById("ac-now");
    if (now && doc.line) {
      now.hidden = false;
      now.querySelector("code").textContent = String(doc.line).trimEnd().split("\n").pop();
    }
    scheduleSoon();
  } else if (doc.event === "action.finished" || doc.event === "action.started") {
    schedule();
  }
}

function onRunPage(box, doc) {
  if (box.dataset.final) return;
  if (String(doc.run) !== box.dataset.run) return;
  if (doc.event !== "action.progress") schedule();
}

function onProductPage(product, doc) {
  if (doc.product !== product) return;
  if (doc.event === "action.progress") {  // the running banner's last line, in place
    const banner = document.getElementById("p-running");
    const line = banner && banner.dataset.action === doc.action ? banner.querySelector(".last-line") : null;
    if (line && doc.line) line.textContent = String(doc.line).trimEnd().split("\n").pop();
    return;
  }
  if (doc.event === "action.finished" && doc.status === "failed") {  // open its log at once
    for (const d of document.querySelectorAll("details[data-attempt]")) {
      if (d.dataset.attempt === doc.action) d.open = true;
    }
  }
  schedule();
}

function on(e) {
  const doc = JSON.parse(e.data);
  const text = document.getElementById("live-text");
  if (doc.event !== "action.progress" && text) {
    text.textContent = "live: " + doc.event.replace(".", " ") + " " + (doc.product || "") +
      (doc.outcome ? " (" + doc.outcome + ")" : "") + (doc.status ? " (" + doc.status + ")" : "");
  }
  document.body.dataset.lastEvent = doc.id;
  clearNotice(doc);
  if (doc.event === "reconcile.started") return;
  const action = document.getElementById("action");
  if (action) { onActionPage(action, doc); return; }
  const run = document.getElementById("run");
  if (run) { onRunPage(run, doc); return; }
  const product = document.getElementById("content").dataset.product;
  if (product) { onProductPage(product, doc); return; }
  if (doc.event !== "action.progress") schedule();
}

function connect() {
  const text = document.getElementById("live-text");
  const source = new EventSource("/events");
  source.onopen = () => { document.body.dataset.live = "on"; if (text) text.textContent = "live"; };
  source.onerror = () => { document.body.dataset.live = "off"; if (text) text.textContent = "reconnecting…"; };
  for (const name of EVENTS) source.addEventListener(name, on);
}

// --- a running action's time ("12 s of ~45 s"), advanced each second from what the server said -------

function short(s) {
  s = Math.max(0, Math.round(s));
  if (s < 60) return s + " s";
  if (s < 3600) return Math.floor(s / 60) + " min" + (s % 60 ? " " + (s % 60) + " s" : "");
  return Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min";
}

function tick() {
  const now = performance.now();
  for (const el of document.querySelectorAll(".elapsed[data-elapsed]")) {
    if (!el.dataset.t0) el.dataset.t0 = String(now);
    const elapsed = Number(el.dataset.elapsed) + (now - Number(el.dataset.t0)) / 1000;
    const expected = Number(el.dataset.expected);
    el.textContent = short(elapsed) + (expected > 0 ? " of ~" + short(expected) : "");
  }
}

document.addEventListener("DOMContentLoaded", () => {
  const main = document.getElementById("content");
  // a page answered to a form (a refused decision: the approvals page again) shows the page's own
  // address, so a reload or a live update fetches the page, not the form's endpoint
  const here = main.dataset.here;
  if (here && here.startsWith("/") && here !== location.pathname + location.search) {
    history.replaceState(null, "", here);
  }
  // the filters' choices apply at once (the Filter button does the same without JavaScript)
  document.addEventListener("change", (e) => {
    if (e.target.matches("#filters select, #au-filters select")) e.target.form.requestSubmit();
  });
  tick();
  setInterval(tick, 1000);
  if (main.dataset.live === "on") connect();
});
