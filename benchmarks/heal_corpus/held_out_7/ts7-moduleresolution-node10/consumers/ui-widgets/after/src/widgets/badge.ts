import { TONE_CLASS, type Tone } from "../tones";

export class Badge {
  constructor(private readonly label: string, private readonly tone: Tone = "info") {}

  render(doc: Document): HTMLSpanElement {
    const el = doc.createElement("span");
    el.className = `w-badge ${TONE_CLASS[this.tone]}`;
    el.textContent = this.label;
    return el;
  }
}
