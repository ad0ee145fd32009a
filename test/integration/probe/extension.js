// Another extension, as any a person has installed: it asks the installed ThinkLens for its exports
// and tries the command arguments that were once test hooks (an export target that skipped the save
// dialog, `{ confirmed: true }` that skipped Clear All's question). It writes what it saw to
// probe-report.json in the workspace; test/integration/vsix.test.mjs reads it and watches the dialogs.
const vscode = require('vscode');
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');

exports.activate = (context) => {
  context.subscriptions.push(
    vscode.commands.registerCommand('thinklensProbe.tryHooks', async () => {
      const folder = vscode.workspace.workspaceFolders[0].uri.fsPath;
      const thinklens = vscode.extensions.getExtension('thinklens.thinklens');
      const exported = await thinklens.activate();
      const report = {
        exports: exported === undefined ? null : Object.keys(exported),
        exportTarget: join(folder, 'probe-trace.md'),
      };
      writeFileSync(join(folder, 'probe-report.json'), JSON.stringify(report));
      // Not awaited: each waits for a person's answer in a dialog, which the test looks for.
      void vscode.commands.executeCommand('thinklens.exportTrace', undefined, vscode.Uri.file(report.exportTarget));
    }),
    vscode.commands.registerCommand('thinklensProbe.clearAll', () => {
      void vscode.commands.executeCommand('thinklens.clearFindings', 'all', { confirmed: true });
    }),
  );
};
