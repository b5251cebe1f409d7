/**
 * @globex/widgets: tiny HTML widgets rendered to strings.
 * @module @globex/widgets
 */
export { escapeHtml } from "./html.js";
export { button } from "./button.js";
export { badge } from "./badge.js";
export { progressBar } from "./progress.js";
