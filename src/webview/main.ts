// The panel's entry point (bundled to media/dist/webview.js, styles to media/dist/webview.css).
import '@vscode/codicons/dist/codicon.css';
import 'katex/dist/katex.css';
import './panel.css';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-collapsible/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import '@vscode-elements/elements/dist/vscode-textarea/index.js';
import { PanelApp } from './app';
import { copyFormulasAsTex } from './math';
import { connectHost } from './vscodeApi';

const root = document.getElementById('app');
if (root) {
  copyFormulasAsTex(root);
  new PanelApp(root, connectHost()).start();
}
