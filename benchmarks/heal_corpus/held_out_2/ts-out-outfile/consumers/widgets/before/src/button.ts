export class Button {
  constructor(public label: string, private onClick: () => void = () => {}) {}

  click(): string {
    this.onClick();
    return `clicked ${this.label}`;
  }
}
