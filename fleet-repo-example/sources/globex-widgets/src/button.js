import { attrs, escapeHtml } from "./html.js";

const VARIANTS = new Set(["default", "primary", "danger"]);

/**
 * Render a `<button>`.
 * @param {{label: string, variant?: "default"|"primary"|"danger", disabled?: boolean}} options
 * @returns {string}
 */
export function button({ label, variant = "default", disabled = false }) {
  if (!VARIANTS.has(variant)) {
    throw new RangeError(`unknown button variant: ${variant}`);
  }
  const cls = variant === "default" ? "gx-button" : `gx-button gx-button--${variant}`;
  return `<button${attrs({ type: "button", class: cls, disabled })}>${escapeHtml(label)}</button>`;
}
