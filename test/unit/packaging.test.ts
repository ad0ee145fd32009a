// What a VSIX carries of the project's own files (.vscodeignore, read by vsce itself): the bundles,
// the media the manifest names and the sample "Open a Sample with a Bug" copies, nothing else. The
// runtime packages under node_modules are added per platform by scripts/package.mjs; the
// integration layer installs that VSIX (test/integration/vsix.test.mjs).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));

function shipped(): string[] {
  execFileSync(process.execPath, ['esbuild.mjs', 'extension', 'webview', 'cli'], { stdio: 'inherit' });
  const out = execFileSync(process.execPath, ['node_modules/@vscode/vsce/vsce', 'ls', '--no-dependencies'], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .sort();
}

test('vsce ls lists exactly the files a VSIX should carry', { timeout: 120_000 }, () => {
  const files = shipped();
  const topLevel = [...new Set(files.map((file) => file.split('/')[0]))].sort();
  assert.deepEqual(topLevel, ['CHANGELOG.md', 'LICENSE', 'README.md', 'dist', 'media', 'package.json', 'samples']);

  assert.deepEqual(
    files.filter((f) => f.startsWith('dist/')),
    ['dist/cli.js', 'dist/extension.js', 'dist/mcp.js'],
    'dist/ ships only the bundles',
  );
  for (const bundle of ['media/dist/webview.js', 'media/dist/webview.css', pkg.icon])
    assert.ok(files.includes(bundle), `${bundle} is not shipped`);
  assert.deepEqual(
    files.filter((f) => f.startsWith('samples/')),
    ['samples/src/cart.ts'],
    'samples/ ships only the sample the command opens',
  );
  const media = files.filter((f) => f.startsWith('media/') && !f.startsWith('media/dist/')).sort();
  assert.deepEqual(media, [pkg.icon, ...walkthroughPages()].sort(), 'media/ ships the icon and the walkthrough pages only');
  const stray = files.filter((f) => /\.(map|tsx?|mts|cts|svg)$/.test(f) && f !== 'samples/src/cart.ts');
  assert.deepEqual(stray, [], 'source maps, sources or the icon source are shipped');
});

function walkthroughPages(): string[] {
  const steps = pkg.contributes.walkthroughs.flatMap((w: { steps: { media: { markdown?: string } }[] }) =>
    w.steps.map((s) => s.media.markdown),
  );
  return steps.filter(Boolean);
}

test('the manifest has what the Marketplace shows: icon, banner, links, changelog', () => {
  assert.ok(existsSync(pkg.icon), `the icon ${pkg.icon} does not exist (node scripts/renderIcon.mjs)`);
  const png = readFileSync(pkg.icon);
  assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
  assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [128, 128], 'the icon is not 128×128');
  assert.match(pkg.galleryBanner?.color ?? '', /^#[0-9a-f]{6}$/i);
  assert.ok(['dark', 'light'].includes(pkg.galleryBanner?.theme));
  const repository = pkg.repository.url.replace(/\.git$/, '');
  assert.match(repository, /^https:\/\/github\.com\/[^/]+\/[^/]+$/);
  assert.equal(pkg.bugs.url, `${repository}/issues`);
  assert.ok(pkg.homepage.startsWith(repository));
  assert.match(
    readFileSync('CHANGELOG.md', 'utf8'),
    new RegExp(`^## ${pkg.version.replace(/\./g, '\\.')}\\b`, 'm'),
    'CHANGELOG.md has no section for this version',
  );
});

test('every relative link and picture in the README names a file in the repository (packaging makes them absolute)', () => {
  const readme = readFileSync('README.md', 'utf8');
  const targets = [...readme.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((t) => !/^(https?:|mailto:|#)/.test(t));
  assert.ok(
    targets.some((t) => t.startsWith('docs/images/')),
    'the README shows no pictures',
  );
  const missing = targets.map((t) => t.split('#')[0]!).filter((t) => !existsSync(t));
  assert.deepEqual(missing, []);
});
