import { TONE_CLASS, type Tone } from "../tones";
import { Badge } from "./badge";

export class Toast {
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly message: string, private readonly tone: Tone = "info") {}

  show(doc: Document, ms = 3000): HTMLDivElement {
    const el = doc.createElement("div");
    el.className = `w-toast ${TONE_CLASS[this.tone]}`;
    el.append(new Badge(this.tone.toUpperCase(), this.tone).render(doc), doc.createTextNode(this.message));
    doc.body.append(el);
    this.timer = setTimeout(() => el.remove(), ms);
    return el;
  }

  dismiss(): void {
    clearTimeout(this.timer);
  }
}
