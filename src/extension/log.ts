// The one logger: a LogOutputChannel that shows itself when something goes wrong.

import * as vscode from 'vscode';

export class Log implements vscode.Disposable {
  private readonly channel = vscode.window.createOutputChannel('ThinkLens', { log: true });
  /** What was logged at info and above, kept only under the extension's own tests (they read it back). */
  private readonly kept: string[] | undefined;

  constructor(options: { keepLines?: boolean } = {}) {
    this.kept = options.keepLines ? [] : undefined;
  }

  /** The lines logged so far at info and above: empty unless constructed with `keepLines`. */
  get lines(): readonly string[] {
    return this.kept ?? [];
  }

  info(message: string, ...args: unknown[]): void {
    this.kept?.push(`info ${message}`);
    this.channel.info(message, ...args);
  }
  warn(message: string, ...args: unknown[]): void {
    this.kept?.push(`warning ${message}`);
    this.channel.warn(message, ...args);
  }
  debug(message: string, ...args: unknown[]): void {
    this.channel.debug(message, ...args);
  }
  error(message: string, detail?: unknown): void {
    this.kept?.push(`error ${message}`);
    this.channel.error(message, ...(detail === undefined ? [] : [detail instanceof Error ? (detail.stack ?? detail.message) : detail]));
  }
  show(): void {
    this.channel.show(true);
  }
  dispose(): void {
    this.channel.dispose();
  }
}
