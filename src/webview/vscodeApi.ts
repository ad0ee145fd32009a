// The one channel to the extension host. `acquireVsCodeApi` may be called once per page load.
import type { WebviewToHost } from '../bridge/protocol';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): unknown;
}

declare function acquireVsCodeApi(): VsCodeApi;

export interface HostChannel {
  post(message: WebviewToHost): void;
  getState(): unknown;
  setState(state: unknown): void;
}

export function connectHost(): HostChannel {
  const api = acquireVsCodeApi();
  return {
    post: (message) => api.postMessage(message),
    getState: () => api.getState(),
    setState: (state) => void api.setState(state),
  };
}
