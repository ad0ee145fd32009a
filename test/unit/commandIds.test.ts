// The command-id table (src/bridge/commandIds.ts) against the manifest, both ways: every command
// package.json names has an id in the table and a registration, and every id in the table is either
// contributed (COMMAND) or deliberately kept out of the manifest (INTERNAL_COMMAND).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMMAND, INTERNAL_COMMAND } from '../../src/bridge/commandIds';

interface Manifest {
  contributes: {
    commands: Array<{ command: string }>;
    menus: Record<string, Array<{ command?: string; submenu?: string }>>;
    keybindings: Array<{ command: string }>;
    walkthroughs: Array<{ steps: Array<{ description?: string; completionEvents?: string[] }> }>;
  };
}

const manifest = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as Manifest;
const table = new Set<string>(Object.values(COMMAND));
const internal = new Set<string>(Object.values(INTERNAL_COMMAND));
const sorted = (ids: Iterable<string>) => [...new Set(ids)].sort();

/** Every place package.json names a command, by where it names it. */
function manifestCommands(): Record<string, string[]> {
  const { commands, menus, keybindings, walkthroughs } = manifest.contributes;
  const steps = walkthroughs.flatMap((w) => w.steps);
  return {
    'contributes.commands': commands.map((c) => c.command),
    'contributes.menus': Object.values(menus)
      .flat()
      .flatMap((m) => (m.command ? [m.command] : [])),
    'contributes.keybindings': keybindings.map((k) => k.command),
    'walkthrough links': steps.flatMap((s) => [...(s.description ?? '').matchAll(/\(command:([\w.]+)\)/g)].map((m) => m[1]!)),
    'walkthrough completion events': steps.flatMap((s) =>
      (s.completionEvents ?? []).flatMap((e) => (e.startsWith('onCommand:') ? [e.slice('onCommand:'.length)] : [])),
    ),
  };
}

test('every command package.json names is in the command-id table', () => {
  for (const [where, ids] of Object.entries(manifestCommands())) {
    assert.ok(ids.length > 0, `${where}: found no commands; has the manifest's shape changed?`);
    assert.deepEqual(
      sorted(ids.filter((id) => !table.has(id))),
      [],
      `${where} names commands that src/bridge/commandIds.ts's COMMAND lacks`,
    );
  }
});

test('every public id in the table is contributed in package.json, and no internal one is', () => {
  const contributed = new Set(manifest.contributes.commands.map((c) => c.command));
  assert.deepEqual(sorted([...table].filter((id) => !contributed.has(id))), [], 'COMMAND ids missing from contributes.commands');
  const named = new Set(Object.values(manifestCommands()).flat());
  assert.deepEqual(
    sorted([...internal].filter((id) => named.has(id))),
    [],
    'INTERNAL_COMMAND ids that package.json names (move them to COMMAND)',
  );
});

test('the table keeps each id once and every key names its own id', () => {
  const all = [...Object.entries(COMMAND), ...Object.entries(INTERNAL_COMMAND)];
  assert.equal(new Set(all.map(([, id]) => id)).size, all.length, 'an id appears twice in the table');
  for (const [key, id] of all) assert.equal(id, `thinklens.${key}`);
});

test('registerCommands registers every id in the table, each once', () => {
  // The registrations are `guarded(COMMAND.x, …)` calls; the integration suite checks the same
  // table against the commands VS Code reports after activation.
  const source = readFileSync(join(__dirname, '..', '..', 'src', 'extension', 'commands.ts'), 'utf8');
  const registered = [...source.matchAll(/guarded\((?:INTERNAL_)?COMMAND\.(\w+),/g)].map((m) => `thinklens.${m[1]}`);
  assert.deepEqual(sorted(registered), sorted([...table, ...internal]));
  assert.equal(registered.length, new Set(registered).size, 'a command is registered twice');
});
