export const colors = { primary: "#0b5fff", danger: "#d92d20", text: "#101828" } as const;
export type ColorName = keyof typeof colors;
