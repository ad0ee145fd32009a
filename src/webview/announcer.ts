// One polite live region for state changes (started, reasoning, answering, done, error). It never
// carries streamed text: a screen reader should not read tokens as they arrive.
export class Announcer {
  readonly element: HTMLElement;
  private last = '';

  constructor() {
    this.element = document.createElement('div');
    this.element.className = 'visually-hidden';
    this.element.setAttribute('role', 'status');
    this.element.setAttribute('aria-live', 'polite');
    this.element.setAttribute('aria-atomic', 'true');
  }

  announce(message: string): void {
    if (message === this.last) return;
    this.last = message;
    this.element.textContent = message;
  }
}
