// Asks once per hosted endpoint (its origin) before code leaves the machine. Consent given for
// https://api.deepseek.com does not cover another server the base URL is later pointed at.

import * as vscode from 'vscode';
import { originOf } from '../core/backends/profile';
import type { Backend } from '../core/types';

/** The key consent for `backend` is stored under: one per origin, whatever the preset. */
export function consentKey(backend: Backend): string {
  return `thinklens.consent.${backend.endpoint ? originOf(backend.endpoint) : backend.id}`;
}

/** Whether code for `backend` may be sent without asking: a local backend, or a hosted endpoint already agreed to. */
export function consentGiven(state: vscode.Memento, backend: Backend): boolean {
  return !backend.hosted || state.get<boolean>(consentKey(backend)) === true;
}

/** Remembers that the person agreed to send code to this endpoint (here, or in a chat tool's confirmation). */
export function recordConsent(state: vscode.Memento, backend: Backend): Thenable<void> {
  return state.update(consentKey(backend), true);
}

/** The question, the same in the modal and in a language model tool's confirmation. */
export function consentQuestion(backend: Backend): string {
  const endpoint = backend.endpoint ? originOf(backend.endpoint) : backend.id;
  return `ThinkLens will send the code you analyse to ${endpoint} (${backend.id}, model ${backend.model}), a server on another machine. Continue?`;
}

export async function confirmHostedUse(state: vscode.Memento, backend: Backend): Promise<boolean> {
  if (consentGiven(state, backend)) return true;
  const send = 'Send Code';
  const answer = await vscode.window.showWarningMessage(
    consentQuestion(backend),
    {
      modal: true,
      detail: 'You are asked once for each endpoint. Choose a local backend with "ThinkLens: Select Backend" to keep code on this machine.',
    },
    send,
  );
  if (answer !== send) return false;
  await recordConsent(state, backend);
  return true;
}
