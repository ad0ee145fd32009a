// The panel's entry point (bundled to media/dist/webview.js, styles to media/dist/webview.css).
import '@vscode/codicons/dist/codicon.css';
import './panel.css';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-collapsible/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import '@vscode-elements/elements/dist/vscode-textarea/index.js';
import { PanelApp } from './app';
import { connectHost } from './vscodeApi';

const root = document.getElementById('app');
if (root) new PanelApp(root, connectHost()).start();
