import { attrs, escapeHtml } from "./html.js";

/**
 * Render a small inline badge.
 * @param {string} text
 * @param {{tone?: string}} [options] tone modifier; "neutral" adds no class
 * @returns {string}
 */
export function badge(text, { tone = "neutral" } = {}) {
  const cls = tone === "neutral" ? "gx-badge" : `gx-badge gx-badge--${tone}`;
  return `<span${attrs({ class: cls })}>${escapeHtml(text)}</span>`;
}
