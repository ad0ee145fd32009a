// The status-bar item: which backend runs and what the current run is doing.

import * as vscode from 'vscode';
import type { Backend } from '../core/types';
import { COMMAND } from '../bridge/commandIds';
import { RunActivity, type RunEnd } from './runActivity';

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('thinklens.status', vscode.StatusBarAlignment.Right, 100);
  private backend = 'not set up';
  private why = '';
  /** Per run: one run ending leaves the others showing. */
  private readonly activity = new RunActivity();

  constructor() {
    this.item.name = 'ThinkLens';
    this.item.command = COMMAND.selectBackend;
    this.render();
    this.item.show();
  }

  /** The backend runs go to (undefined: none is set up), and why it was chosen. */
  setBackend(backend: Pick<Backend, 'id' | 'model'> | undefined, why = ''): void {
    this.backend = backend ? `${backend.id}: ${backend.model}` : 'not set up';
    this.why = why;
    this.render();
  }

  runStarted(runId: string): void {
    this.activity.started(runId);
    this.render();
  }

  runAnswering(runId: string): void {
    this.activity.answering(runId);
    this.render();
  }

  runEnded(runId: string, how: RunEnd): void {
    this.activity.ended(runId, how);
    this.render();
  }

  /** A connection test succeeded: "· error" from an earlier run goes. */
  connectionWorks(): void {
    this.activity.forgetError();
    this.render();
  }

  /** What the item shows, for the extension's own tests. */
  get text(): string {
    return this.item.text;
  }

  dispose(): void {
    this.item.dispose();
  }

  private render(): void {
    const icon = { idle: '$(lightbulb-sparkle)', thinking: '$(loading~spin)', answering: '$(loading~spin)', error: '$(warning)' }[
      this.activity.state
    ];
    const label = this.activity.label;
    const state = label ? ` · ${label}` : '';
    this.item.text = `${icon} ${this.backend}${state}`;
    this.item.tooltip = `ThinkLens backend: ${this.backend}${this.why ? ` (${this.why})` : ''}\nClick to choose another backend.`;
  }
}
