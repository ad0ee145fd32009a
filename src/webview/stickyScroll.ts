// Follows the bottom of a growing scroll box until the person scrolls up, and follows again once
// they scroll back down to the bottom. Its position survives the box being hidden.
//
// While it follows, the box has no scroll anchoring (class `following`): content above the view
// changing height (formulas drawn or shown as TeX again) would otherwise move the scroll position,
// and that scroll would read as the person's. Once the person scrolls up, anchoring keeps what they
// read in place.

export interface ScrollState {
  readonly top: number;
  readonly following: boolean;
}

const NEAR_BOTTOM_PX = 24;

export class StickyScroll {
  private following = true;
  private savedTop = 0;
  private suspended = false;

  constructor(
    private readonly box: HTMLElement,
    initial?: ScrollState,
  ) {
    if (initial) {
      this.following = initial.following;
      this.savedTop = initial.top;
    }
    box.classList.toggle('following', this.following);
    box.addEventListener('scroll', () => this.onScroll(), { passive: true });
  }

  get isFollowing(): boolean {
    return this.following;
  }

  /** Call after content was added. */
  contentGrew(): void {
    if (this.following && !this.suspended) this.box.scrollTop = this.box.scrollHeight;
  }

  state(): ScrollState {
    return { top: this.suspended ? this.savedTop : this.box.scrollTop, following: this.following };
  }

  /** Before the box is hidden: hidden boxes report (and may lose) a zero scroll offset. */
  suspend(): void {
    if (this.suspended) return;
    this.savedTop = this.box.scrollTop;
    this.suspended = true;
  }

  /** After the box is shown again (or first shown). */
  resume(): void {
    this.suspended = false;
    if (this.following) this.box.scrollTop = this.box.scrollHeight;
    else this.box.scrollTop = this.savedTop;
  }

  /** Follow the bottom again (e.g. a new run started). */
  follow(): void {
    this.setFollowing(true);
    this.contentGrew();
  }

  private onScroll(): void {
    if (this.suspended) return;
    const { scrollTop, scrollHeight, clientHeight } = this.box;
    if (clientHeight === 0) return; // hidden: not the person's doing
    this.setFollowing(scrollHeight - scrollTop - clientHeight <= NEAR_BOTTOM_PX);
    this.savedTop = scrollTop;
  }

  private setFollowing(following: boolean): void {
    if (following === this.following) return;
    this.following = following;
    this.box.classList.toggle('following', following);
  }
}
