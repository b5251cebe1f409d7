export { buttonStyle, type ButtonProps } from "@/components/button";
export { colors } from "@tokens/colors";
