// The one logger: a LogOutputChannel that shows itself when something goes wrong.

import * as vscode from 'vscode';

export class Log implements vscode.Disposable {
  private readonly channel = vscode.window.createOutputChannel('ThinkLens', { log: true });

  info(message: string, ...args: unknown[]): void {
    this.channel.info(message, ...args);
  }
  warn(message: string, ...args: unknown[]): void {
    this.channel.warn(message, ...args);
  }
  debug(message: string, ...args: unknown[]): void {
    this.channel.debug(message, ...args);
  }
  error(message: string, detail?: unknown): void {
    this.channel.error(message, ...(detail === undefined ? [] : [detail instanceof Error ? (detail.stack ?? detail.message) : detail]));
  }
  show(): void {
    this.channel.show(true);
  }
  dispose(): void {
    this.channel.dispose();
  }
}
