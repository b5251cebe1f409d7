export type Tone = "info" | "success" | "warning" | "danger";

export const TONE_CLASS: Record<Tone, string> = {
  info: "w-tone-info",
  success: "w-tone-success",
  warning: "w-tone-warning",
  danger: "w-tone-danger",
};
