import { attrs } from "./html.js";

/**
 * Render an accessible progress bar.
 * @param {{value: number, max?: number, label?: string}} options
 * @returns {string}
 */
export function progressBar({ value, max = 100, label }) {
  if (!(max > 0)) {
    throw new RangeError("max must be a positive number");
  }
  const now = Math.min(Math.max(Number(value) || 0, 0), max);
  const percent = Math.round((now / max) * 100);
  const outer = attrs({
    class: "gx-progress",
    role: "progressbar",
    "aria-valuemin": 0,
    "aria-valuemax": max,
    "aria-valuenow": now,
    "aria-label": label,
  });
  return `<div${outer}><div class="gx-progress__bar" style="width: ${percent}%"></div></div>`;
}
