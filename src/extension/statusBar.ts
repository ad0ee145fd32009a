// The status-bar item: which backend runs and what the current run is doing.

import * as vscode from 'vscode';

export type RunState = 'idle' | 'thinking' | 'answering' | 'error';

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('thinklens.status', vscode.StatusBarAlignment.Right, 100);
  private backend = 'not set up';
  private why = '';
  private state: RunState = 'idle';

  constructor() {
    this.item.name = 'ThinkLens';
    this.item.command = 'thinklens.selectBackend';
    this.render();
    this.item.show();
  }

  setBackend(label: string, why = ''): void {
    this.backend = label;
    this.why = why;
    this.render();
  }

  setState(state: RunState): void {
    this.state = state;
    this.render();
  }

  dispose(): void {
    this.item.dispose();
  }

  private render(): void {
    const icon = { idle: '$(lightbulb-sparkle)', thinking: '$(loading~spin)', answering: '$(loading~spin)', error: '$(warning)' }[this.state];
    const state = this.state === 'idle' ? '' : ` · ${this.state}`;
    this.item.text = `${icon} ${this.backend}${state}`;
    this.item.tooltip = `ThinkLens backend: ${this.backend}${this.why ? ` (${this.why})` : ''}\nClick to choose another backend.`;
  }
}
