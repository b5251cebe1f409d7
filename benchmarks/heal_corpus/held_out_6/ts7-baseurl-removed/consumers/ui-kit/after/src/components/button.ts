import { colors, type ColorName } from "@tokens/colors";

export interface ButtonProps {
  label: string;
  tone?: ColorName;
}

export function buttonStyle({ tone = "primary" }: ButtonProps): string {
  return `background:${colors[tone]};color:#fff`;
}
