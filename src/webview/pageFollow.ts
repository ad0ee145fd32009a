// Keeps the newest run's answer on screen: when the answer starts, its run's title is brought
// just under the sticky toolbar (the folded reasoning and the answer follow it); while the answer
// grows, its end stays in view. Scrolling up stops this until the person is back at the bottom;
// a new run starts it again. The panel scrolls the window; the trace box follows on its own.

/** Within this many pixels of the bottom counts as at the bottom. */
const NEAR_BOTTOM_PX = 24;

export class PageFollow {
  private following = true;
  private lastY = window.scrollY;

  constructor(
    /** The height of what sticks to the top of the view (the toolbar). */
    private readonly stickyHeight: () => number,
  ) {
    window.addEventListener('scroll', () => this.onScroll(), { passive: true });
  }

  get isFollowing(): boolean {
    return this.following;
  }

  /** A run the person asked for started: follow it, and show its title. */
  runStarted(card: HTMLElement): void {
    this.following = true;
    this.showTitle(card);
  }

  /** The newest run's answer began (its reasoning folds now). */
  answerStarted(card: HTMLElement): void {
    if (this.following) this.showTitle(card);
  }

  /** The newest run's answer grew on screen. */
  answerGrew(answer: HTMLElement): void {
    if (!this.following) return;
    const bottom = answer.getBoundingClientRect().bottom;
    if (bottom > window.innerHeight) this.scrollTo(window.scrollY + bottom - window.innerHeight + 8);
  }

  private showTitle(card: HTMLElement): void {
    this.scrollTo(window.scrollY + card.getBoundingClientRect().top - this.stickyHeight());
  }

  private scrollTo(top: number): void {
    window.scrollTo({ top: Math.max(0, top) });
    this.lastY = window.scrollY;
  }

  private onScroll(): void {
    const y = window.scrollY;
    const atBottom = y + window.innerHeight >= document.documentElement.scrollHeight - NEAR_BOTTOM_PX;
    // At the bottom follows again (also when a fold shortened the page and the browser moved up).
    if (atBottom) this.following = true;
    else if (y < this.lastY - 1) this.following = false;
    this.lastY = y;
  }
}
