// API keys live in SecretStorage (or the environment), never in settings or logs.

import * as vscode from 'vscode';
import type { BackendId } from '../core/types';

const secretKey = (backend: BackendId) => `thinklens.apiKey.${backend}`;

export class ApiKeys {
  constructor(private readonly storage: vscode.SecretStorage) {}

  get(backend: BackendId): Thenable<string | undefined> {
    return this.storage.get(secretKey(backend));
  }

  async set(backend: BackendId, key: string | undefined): Promise<void> {
    if (key) await this.storage.store(secretKey(backend), key);
    else await this.storage.delete(secretKey(backend));
  }

  onDidChange(listener: () => void): vscode.Disposable {
    return this.storage.onDidChange((event) => {
      if (event.key.startsWith('thinklens.apiKey.')) listener();
    });
  }
}
