export interface Slot {
  day: string;
  hour: number;
}
