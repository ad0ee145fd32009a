// Asks once per hosted endpoint (its origin) before code leaves the machine. Consent given for
// https://api.deepseek.com does not cover another server the base URL is later pointed at.

import * as vscode from 'vscode';
import { originOf } from '../core/backends/profile';
import type { Backend } from '../core/types';

/** The key consent for `backend` is stored under: one per origin, whatever the preset. */
export function consentKey(backend: Backend): string {
  return `thinklens.consent.${backend.endpoint ? originOf(backend.endpoint) : backend.id}`;
}

export async function confirmHostedUse(state: vscode.Memento, backend: Backend): Promise<boolean> {
  if (!backend.hosted) return true;
  const key = consentKey(backend);
  if (state.get<boolean>(key)) return true;
  const endpoint = backend.endpoint ? originOf(backend.endpoint) : backend.id;
  const send = 'Send Code';
  const answer = await vscode.window.showWarningMessage(
    `ThinkLens will send the code you analyse to ${endpoint} (${backend.id}, model ${backend.model}), a server on another machine. Continue?`,
    {
      modal: true,
      detail: 'You are asked once for each endpoint. Choose a local backend with "ThinkLens: Select Backend" to keep code on this machine.',
    },
    send,
  );
  if (answer !== send) return false;
  await state.update(key, true);
  return true;
}
