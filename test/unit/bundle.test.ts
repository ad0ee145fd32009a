// Activation must stay light (docs/ARCHITECTURE.md): the extension bundle may reach the openai SDK and
// node-llama-cpp only through a dynamic import() inside a request, and never carries webview code.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

test('the extension bundle loads heavy modules lazily and holds no webview code', () => {
  execFileSync(process.execPath, ['esbuild.mjs', 'extension'], { stdio: 'inherit' });
  const bundle = readFileSync('dist/extension.js', 'utf8');
  for (const heavy of ['openai', 'node-llama-cpp']) {
    assert.doesNotMatch(bundle, new RegExp(`require\\("${heavy}"\\)`), `${heavy} is required eagerly`);
  }
  assert.match(bundle, /import\("openai"\)/, 'the openai SDK is not loaded on demand');
  assert.match(bundle, /import\("node-llama-cpp"\)/, 'node-llama-cpp is not loaded on demand');
  for (const webviewOnly of ['markdown-it', 'DOMPurify', 'highlight.js']) {
    assert.ok(!bundle.includes(webviewOnly), `webview code (${webviewOnly}) ended up in the extension bundle`);
  }
  assert.ok(bundle.length < 600_000, `the extension bundle grew to ${bundle.length} bytes`);
});
