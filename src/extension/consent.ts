// Asks once per hosted endpoint before code leaves the machine.

import * as vscode from 'vscode';
import type { Backend } from '../core/types';

export async function confirmHostedUse(state: vscode.Memento, backend: Backend): Promise<boolean> {
  if (!backend.hosted) return true;
  const key = `thinklens.consent.${backend.id}`;
  if (state.get<boolean>(key)) return true;
  const send = 'Send Code';
  const answer = await vscode.window.showWarningMessage(
    `ThinkLens will send the code you analyse to ${backend.id} (${backend.model}), a hosted service. Continue?`,
    { modal: true, detail: 'You are asked once for each hosted backend. Choose a local backend with "ThinkLens: Select Backend" to keep code on this machine.' },
    send,
  );
  if (answer !== send) return false;
  await state.update(key, true);
  return true;
}
