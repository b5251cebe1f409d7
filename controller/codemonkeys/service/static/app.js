// The dashboard's only script: live updates. The pages are rendered by the server and work without it.
// On a Server-Sent Event (/events) that concerns this page, re-fetch the page's main region as a
// server-rendered fragment (X-Fragment: main, like htmx's hx-select) and swap it in, keeping focus,
// typed values, open <details> and the scroll position. No framework, no build step, no CDN.
"use strict";

const EVENTS = ["reconcile.started", "reconcile.finished", "approval.given", "approval.rejected",
  "product.suspended", "product.resumed", "change.dropped"];
const FOCUSABLE = "a, button, input, select, textarea, summary, [tabindex]";
let pending = null;
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
  const opened = new Set([...main.querySelectorAll("details[data-key]")].map((d) => d.dataset.key + ":" + d.open));
  const x = window.scrollX, y = window.scrollY;
  main.innerHTML = html;
  for (const [id, value] of typed) {
    const input = document.getElementById(id);
    if (input && main.contains(input)) input.value = value;
  }
  for (const d of main.querySelectorAll("details[data-key]")) {
    if (opened.has(d.dataset.key + ":true")) d.open = true;
    if (opened.has(d.dataset.key + ":false")) d.open = false;
  }
  if (focus) {
    const again = find(focus, main);
    if (again) again.focus({ preventScroll: true });
  }
  window.scrollTo(x, y);
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

function connect() {
  const text = document.getElementById("live-text");
  const source = new EventSource("/events");
  source.onopen = () => { document.body.dataset.live = "on"; text.textContent = "live"; };
  source.onerror = () => { document.body.dataset.live = "off"; text.textContent = "reconnecting…"; };
  const on = (e) => {
    const doc = JSON.parse(e.data);
    text.textContent = "live: " + doc.event.replace(".", " ") + " " + (doc.product || "") +
      (doc.outcome ? " (" + doc.outcome + ")" : "");
    document.body.dataset.lastEvent = doc.id;
    if (doc.event === "reconcile.started") return;
    const mine = document.getElementById("content").dataset.product;
    if (!mine || mine === doc.product) schedule();
  };
  for (const name of EVENTS) source.addEventListener(name, on);
}

document.addEventListener("DOMContentLoaded", () => {
  // a page answered to a form (a refused decision: the approvals page again) shows the page's own
  // address, so a reload or a live update fetches the page, not the form's endpoint
  const here = document.getElementById("content").dataset.here;
  if (here && here.startsWith("/") && here !== location.pathname + location.search) {
    history.replaceState(null, "", here);
  }
  // the grid's choices filter at once (the Filter button does the same without JavaScript)
  document.addEventListener("change", (e) => {
    if (e.target.matches("#filters select")) e.target.form.requestSubmit();
  });
  connect();
});
