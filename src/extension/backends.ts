// Chooses and keeps the backend a run uses: the setting, or for `auto` a configured local model,
// else a local server that answers, else a hosted backend with a key. The backend object is kept
// between runs (a local model stays loaded) and replaced when the settings or keys change.

import * as vscode from 'vscode';
import { createBackend } from '../core/backends/createBackend';
import { apiKeyFromEnv, chooseAutoBackend, SETUP_HINT } from '../core/backends/auto';
import type { Backend, BackendConfig } from '../core/types';
import type { ThinkLensConfig } from './config';
import type { Log } from './log';
import type { ApiKeys } from './secrets';
import { mergePriceTable } from '../core/pricing';

export type BackendChoice =
  { readonly ok: true; readonly backend: Backend; readonly reason: string } | { readonly ok: false; readonly setup: string };

export class Backends implements vscode.Disposable {
  private current?: { key: string; backend: Backend; reason: string };

  constructor(
    private readonly keys: ApiKeys,
    private readonly log: Log,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  async choose(config: ThinkLensConfig): Promise<BackendChoice> {
    const resolved = await this.resolveConfig(config);
    if (!resolved.ok) return resolved;
    const { table: prices, problems } = mergePriceTable(config.pricing);
    const key = JSON.stringify([resolved.config, prices]);
    if (this.current?.key !== key) {
      await this.reset();
      try {
        if (problems.length) this.log.warn(`thinklens.pricing: ${problems.join('; ')}`);
        this.current = { key, backend: createBackend(resolved.config, this.env, { prices }), reason: resolved.reason };
      } catch (error) {
        return { ok: false, setup: error instanceof Error ? error.message : String(error) };
      }
    }
    return { ok: true, backend: this.current!.backend, reason: this.current!.reason };
  }

  /** Drops the kept backend (settings or keys changed); a local model is unloaded. */
  async reset(): Promise<void> {
    const old = this.current;
    this.current = undefined;
    await old?.backend.dispose?.();
  }

  /** Unloads a local model; deactivate() waits for it (VS Code waits a few seconds at most). */
  dispose(): Promise<void> {
    return this.reset();
  }

  private async resolveConfig(
    config: ThinkLensConfig,
  ): Promise<{ ok: true; config: BackendConfig; reason: string } | { ok: false; setup: string }> {
    const common = {
      model: config.model,
      requestTimeoutSeconds: config.requestTimeoutSeconds,
      idleTimeoutSeconds: config.requestTimeoutSeconds,
    };
    const local = config.local.modelPath
      ? { modelPath: config.local.modelPath, gpu: config.local.gpu, threads: config.local.threads, contextSize: config.local.contextSize }
      : undefined;
    if (config.backend !== 'auto') {
      if (config.backend === 'local' && !local) {
        return {
          ok: false,
          setup: 'The local backend needs a GGUF model: run "ThinkLens: Download a Local Model" or set thinklens.local.modelPath.',
        };
      }
      const apiKey = await this.keys.get(config.backend);
      return {
        ok: true,
        config: { backend: config.backend, baseUrl: config.baseUrl, apiKey, local, ...common },
        reason: 'chosen in settings',
      };
    }
    const auto = await chooseAutoBackend({
      localModelPath: local?.modelPath,
      keyFor: async (backend) => (await this.keys.get(backend)) ?? apiKeyFromEnv(backend, this.env),
    });
    if (auto) {
      return {
        ok: true,
        config: { ...common, backend: auto.backend, baseUrl: auto.baseUrl, apiKey: auto.apiKey, model: config.model ?? auto.model, local },
        reason: `auto: ${auto.reason}`,
      };
    }
    return { ok: false, setup: SETUP_HINT };
  }
}
