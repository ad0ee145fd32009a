// Where an export is offered to go: the folder the person saved to last, unless that lies inside a
// workspace folder; otherwise their home folder. An export holds code and model output, so it is
// never offered a place inside the repository (where it could be committed by accident); the
// person can still pick one in the dialog. Paths only, no `vscode`.
import { isAbsolute, relative } from 'node:path';

/** The global-state key of the folder the last export went to. */
export const LAST_EXPORT_FOLDER_KEY = 'thinklens.export.lastFolder';

/** True when `path` is `folder` or lies under it. */
export function isInside(path: string, folder: string): boolean {
  const rel = relative(folder, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

export function defaultExportFolder(remembered: string | undefined, workspaceFolders: readonly string[], home: string): string {
  if (remembered && isAbsolute(remembered) && !workspaceFolders.some((w) => isInside(remembered, w))) return remembered;
  return home;
}

/** "thinklens-2026-11-30-11-05-09-review-file-cart-ts.md" */
export function exportFileName(startedAt: number, title: string, fallback: string): string {
  const stamp = new Date(startedAt).toISOString().slice(0, 19).replace(/[:T]/g, '-');
  const slug =
    title
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 40) || fallback;
  return `thinklens-${stamp}-${slug}.md`;
}
