// The panel's HTML. Kept apart from ReviewPanel (and free of `vscode`) so the Chromium tests load
// the very same document and Content Security Policy that VS Code does.
import { randomBytes } from 'node:crypto';

export interface PanelHtmlOptions {
  /** `webview.cspSource`: the origin the panel's own files are served from. */
  readonly cspSource: string;
  readonly nonce: string;
  /** `webview.asWebviewUri` of media/dist/webview.js and media/dist/webview.css. */
  readonly scriptUri: string;
  readonly styleUri: string;
}

export function makeNonce(): string {
  return randomBytes(18).toString('base64url');
}

export function panelCsp({ cspSource, nonce }: Pick<PanelHtmlOptions, 'cspSource' | 'nonce'>): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
    `img-src ${cspSource} data:`,
  ].join('; ');
}

const escapeAttribute = (value: string): string =>
  value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function renderPanelHtml(options: PanelHtmlOptions): string {
  const nonce = escapeAttribute(options.nonce);
  // The stylesheet carries the codicons too; vscode-elements finds it by this id. The panel's
  // script replaces the loading line; until it runs the view is not blank.
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttribute(panelCsp(options))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link id="vscode-codicon-stylesheet" rel="stylesheet" nonce="${nonce}" href="${escapeAttribute(options.styleUri)}">
<title>ThinkLens</title>
</head>
<body>
<main id="app" aria-label="ThinkLens reasoning and review"><p class="panel-loading" role="status">Loading ThinkLens…</p></main>
<script nonce="${nonce}" src="${escapeAttribute(options.scriptUri)}"></script>
</body>
</html>
`;
}
