// The extension as VS Code sees it: present, lazy until used, and every public command wired.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { COMMAND, INTERNAL_COMMAND } from '../../../src/bridge/commandIds';

const extensionId = 'thinklens.thinklens';

/** The public command ids (package.json, README); other parts and the docs rely on them. */
const publicCommands = [
  'thinklens.explainBug',
  'thinklens.reviewSelection',
  'thinklens.checkProof',
  'thinklens.reviewFile',
  'thinklens.reviewChanges',
  'thinklens.followUp',
  'thinklens.cancel',
  'thinklens.selectBackend',
  'thinklens.setApiKey',
  'thinklens.downloadModel',
  'thinklens.clearFindings',
  'thinklens.exportTrace',
  'thinklens.showLog',
];

describe('activation', () => {
  it('is installed under its public id', () => {
    const extension = vscode.extensions.getExtension(extensionId);
    assert.ok(
      extension,
      `${extensionId} is not loaded; known: ${vscode.extensions.all
        .map((e) => e.id)
        .filter((id) => !id.startsWith('vscode.'))
        .join(', ')}`,
    );
    assert.equal(extension.packageJSON.name, 'thinklens');
  });

  it('does not activate at start-up', () => {
    // Nothing heavy may load before a person uses ThinkLens (docs/ARCHITECTURE.md: activate() only wires).
    assert.equal(vscode.extensions.getExtension(extensionId)?.isActive, false);
  });

  it('contributes every public command in its manifest', () => {
    const contributed: Array<{ command: string }> = vscode.extensions.getExtension(extensionId)?.packageJSON.contributes?.commands ?? [];
    const ids = new Set(contributed.map((c) => c.command));
    assert.deepEqual(
      publicCommands.filter((id) => !ids.has(id)),
      [],
    );
  });

  it('activates when a ThinkLens command runs', async () => {
    const extension = vscode.extensions.getExtension(extensionId);
    assert.ok(extension);
    const started = performance.now();
    await vscode.commands.executeCommand('thinklens.showLog');
    const elapsed = performance.now() - started;
    assert.equal(extension.isActive, true, 'thinklens.showLog ran but the extension is not active');
    // Reported for the run log; the runner prints it with the counts.
    console.log(`activation: thinklens.showLog activated ${extensionId} in ${elapsed.toFixed(0)} ms`);
  });

  it('registers every public command', async () => {
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = publicCommands.filter((id) => !registered.has(id));
    assert.deepEqual(missing, [], `commands contributed but not registered by activate(): ${missing.join(', ')}`);
  });

  it('registers every command in the command-id table, the internal ones too', async () => {
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = [...Object.values(COMMAND), ...Object.values(INTERNAL_COMMAND)].filter((id) => !registered.has(id));
    assert.deepEqual(missing, [], `commands in src/bridge/commandIds.ts that activate() did not register: ${missing.join(', ')}`);
  });
});
