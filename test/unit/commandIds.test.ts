// The command-id table (src/bridge/commandIds.ts) against the manifest, both ways: every command
// package.json names has an id in the table and a registration, and every id in the table is either
// contributed (COMMAND) or deliberately kept out of the manifest (INTERNAL_COMMAND).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
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

const root = join(__dirname, '..', '..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Manifest;
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
  };
}

/** The walkthrough's steps complete on context keys the extension sets when a step succeeded: each is set in src/extension. */
test('every walkthrough completion event is a context key the extension sets, or a command in the table', () => {
  const steps = manifest.contributes.walkthroughs.flatMap((w) => w.steps);
  const events = steps.flatMap((s) => s.completionEvents ?? []);
  assert.ok(
    events.some((e) => e.startsWith('onContext:')),
    'no step completes on a context key',
  );
  const source = readdirSync(join(root, 'src', 'extension'), { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => readFileSync(join(root, 'src', 'extension', f), 'utf8'))
    .join('\n');
  for (const event of events) {
    if (event.startsWith('onContext:')) {
      const key = event.slice('onContext:'.length);
      assert.ok(source.includes(`'${key}'`), `${key} is never set by the extension`);
    } else if (event.startsWith('onCommand:')) assert.ok(table.has(event.slice('onCommand:'.length)), event);
  }
});

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
