import type { Slot } from './slot';

export const labels = (slots: Slot[]): string[] => slots.map((s) => `${s.day} ${s.hour}h`);
