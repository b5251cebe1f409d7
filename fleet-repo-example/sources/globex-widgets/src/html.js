/**
 * Low-level HTML helpers shared by the widgets.
 * @module html
 */

const ENTITIES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/**
 * Escape text for safe use in HTML content and attribute values.
 * @param {unknown} text
 * @returns {string}
 */
export function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (ch) => ENTITIES[ch]);
}

/**
 * Render an attribute object. `true` gives a bare attribute, `false`,
 * `null` and `undefined` are skipped, everything else is escaped.
 * @param {Record<string, unknown>} attributes
 * @returns {string} a string starting with a space, or ""
 */
export function attrs(attributes) {
  return Object.entries(attributes)
    .filter(([, value]) => value !== false && value !== null && value !== undefined)
    .map(([name, value]) => (value === true ? ` ${name}` : ` ${name}="${escapeHtml(value)}"`))
    .join("");
}
