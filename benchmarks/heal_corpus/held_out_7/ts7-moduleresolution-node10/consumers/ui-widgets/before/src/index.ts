export { Badge } from "./widgets/badge";
export { Toast } from "./widgets/toast";
export type { Tone } from "./tones";
