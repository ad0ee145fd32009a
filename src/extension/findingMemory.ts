// What this workspace remembers about findings, by fingerprint: the ones the person dismissed (they
// stay hidden on reruns, follow-ups and after a reload until the person asks to see them) and the
// helpful / not helpful mark they gave each one. Kept only in the extension's workspace storage and
// never sent anywhere. No `vscode` import: the extension passes its workspaceState in.
import { FEEDBACK_MARKS, type FeedbackMark } from '../bridge/protocol';

export type { FeedbackMark } from '../bridge/protocol';

/** The part of a VS Code Memento this needs (workspaceState fits). */
export interface MemoryStorage {
  get(key: string): unknown;
  update(key: string, value: unknown): PromiseLike<void>;
}

export interface FindingMemoryLimits {
  /** Dismissed fingerprints and marks kept, each; the oldest are forgotten first. */
  readonly maxEntries: number;
}

export const FINDING_MEMORY_KEY = 'thinklens.findingMemory';
const DEFAULT_LIMITS: FindingMemoryLimits = { maxEntries: 5_000 };
/** Fingerprints are 32 hex digits today; anything much longer in storage is not ours. */
const MAX_FINGERPRINT_CHARS = 200;
const MAX_TITLE_CHARS = 200;

interface Dismissal {
  /** Epoch milliseconds. */
  readonly at: number;
  /** The finding's title when it was dismissed, so the stored list reads for a person. */
  readonly title: string;
}

interface Mark {
  readonly mark: FeedbackMark;
  readonly at: number;
}

/** The stored form; `version` lets a later release drop what it cannot read. */
export interface StoredFindingMemory {
  readonly version: 1;
  readonly dismissed: Readonly<Record<string, Dismissal>>;
  readonly feedback: Readonly<Record<string, Mark>>;
}

export type MemoryChange = 'dismissed' | 'shown' | 'feedback';

export class FindingMemory {
  private readonly dismissed = new Map<string, Dismissal>();
  private readonly marks = new Map<string, Mark>();
  private readonly listeners = new Set<(change: MemoryChange) => void>();
  /** The person asked to see dismissed findings. A choice for this window, not stored: after a reload they are hidden again. */
  private shown = false;

  constructor(
    private readonly storage?: MemoryStorage,
    private readonly limits: FindingMemoryLimits = DEFAULT_LIMITS,
    private readonly onStoreFailed: (error: unknown) => void = () => undefined,
  ) {
    this.load(storage?.get(FINDING_MEMORY_KEY));
  }

  isDismissed(fingerprint: string): boolean {
    return this.dismissed.has(fingerprint);
  }

  get dismissedCount(): number {
    return this.dismissed.size;
  }

  get showDismissed(): boolean {
    return this.shown;
  }

  feedback(fingerprint: string): FeedbackMark | undefined {
    return this.marks.get(fingerprint)?.mark;
  }

  dismiss(fingerprint: string, title: string, now = Date.now()): void {
    if (!remembered(fingerprint) || this.dismissed.has(fingerprint)) return;
    this.dismissed.set(fingerprint, { at: now, title: title.slice(0, MAX_TITLE_CHARS) });
    bound(this.dismissed, this.limits.maxEntries);
    this.changed('dismissed');
  }

  /** Forgets a dismissal; false when the fingerprint was not dismissed. */
  undismiss(fingerprint: string): boolean {
    if (!this.dismissed.delete(fingerprint)) return false;
    this.changed('dismissed');
    return true;
  }

  setShowDismissed(show: boolean): void {
    if (this.shown === show) return;
    this.shown = show;
    for (const listener of this.listeners) listener('shown');
  }

  /** Sets the mark, or clears it with `undefined`. */
  setFeedback(fingerprint: string, mark: FeedbackMark | undefined, now = Date.now()): void {
    if (!remembered(fingerprint) || this.marks.get(fingerprint)?.mark === mark) return;
    if (mark) {
      // Re-inserted so the map's order stays oldest first.
      this.marks.delete(fingerprint);
      this.marks.set(fingerprint, { mark, at: now });
      bound(this.marks, this.limits.maxEntries);
    } else this.marks.delete(fingerprint);
    this.changed('feedback');
  }

  onDidChange(listener: (change: MemoryChange) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  toStored(): StoredFindingMemory {
    return { version: 1, dismissed: Object.fromEntries(this.dismissed), feedback: Object.fromEntries(this.marks) };
  }

  private changed(change: MemoryChange): void {
    this.storage?.update(FINDING_MEMORY_KEY, this.toStored()).then(undefined, this.onStoreFailed);
    for (const listener of this.listeners) listener(change);
  }

  /** Reads stored memory; anything unreadable is skipped rather than trusted. */
  private load(stored: unknown): void {
    if (!isRecord(stored) || stored.version !== 1) return;
    const entries = (x: unknown) => (isRecord(x) ? Object.entries(x).filter(([key]) => remembered(key)) : []);
    const dismissed = entries(stored.dismissed).flatMap(([key, value]) =>
      isRecord(value) && isTime(value.at) && typeof value.title === 'string' ? [[key, { at: value.at, title: value.title }] as const] : [],
    );
    const marks = entries(stored.feedback).flatMap(([key, value]) =>
      isRecord(value) && isTime(value.at) && (FEEDBACK_MARKS as readonly unknown[]).includes(value.mark)
        ? [[key, { mark: value.mark as FeedbackMark, at: value.at }] as const]
        : [],
    );
    for (const [key, value] of dismissed.sort((a, b) => a[1].at - b[1].at)) this.dismissed.set(key, value);
    for (const [key, value] of marks.sort((a, b) => a[1].at - b[1].at)) this.marks.set(key, value);
    bound(this.dismissed, this.limits.maxEntries);
    bound(this.marks, this.limits.maxEntries);
  }
}

function remembered(fingerprint: string): boolean {
  return fingerprint.length > 0 && fingerprint.length <= MAX_FINGERPRINT_CHARS;
}

/** Drops the oldest entries (a Map iterates in insertion order) until at most `max` are left. */
function bound(map: Map<string, unknown>, max: number): void {
  for (const key of map.keys()) {
    if (map.size <= max) return;
    map.delete(key);
  }
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function isTime(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x) && x >= 0;
}
