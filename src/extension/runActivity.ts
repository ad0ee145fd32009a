// What the status bar says about runs, kept per run: with several runs in flight (a review over
// several files, an explain beside it), one run ending leaves the others showing. No `vscode`.

export type RunPhase = 'thinking' | 'answering';
export type RunEnd = 'done' | 'error' | 'cancelled';
export type ActivityState = 'idle' | RunPhase | 'error';

export class RunActivity {
  private readonly live = new Map<string, RunPhase>();
  /** How the newest run to end ended: an error stays shown until another run starts. */
  private lastEnd: RunEnd | undefined;

  started(runId: string): void {
    this.live.set(runId, 'thinking');
    this.lastEnd = undefined;
  }

  answering(runId: string): void {
    if (this.live.has(runId)) this.live.set(runId, 'answering');
  }

  ended(runId: string, how: RunEnd): void {
    if (this.live.delete(runId)) this.lastEnd = how;
  }

  /** The backend answered a connection test: the last run's error no longer describes it. */
  forgetError(): void {
    if (this.lastEnd === 'error') this.lastEnd = undefined;
  }

  get running(): number {
    return this.live.size;
  }

  /** Thinking while any run still thinks; answering once all that run are answering. */
  get state(): ActivityState {
    if (this.live.size) return [...this.live.values()].every((p) => p === 'answering') ? 'answering' : 'thinking';
    return this.lastEnd === 'error' ? 'error' : 'idle';
  }

  /** The words after the backend: "" when idle, "thinking", "3 runs: 2 thinking, 1 answering". */
  get label(): string {
    const state = this.state;
    if (state === 'idle') return '';
    if (this.live.size <= 1) return state;
    const answering = [...this.live.values()].filter((p) => p === 'answering').length;
    const parts = [this.live.size - answering ? `${this.live.size - answering} thinking` : '', answering ? `${answering} answering` : ''];
    return `${this.live.size} runs: ${parts.filter(Boolean).join(', ')}`;
  }
}
