// `--baseline <file.sarif>`: findings an earlier run already reported. A finding is known when
// the baseline has a result at the same path (relative to the source root) with the same
// `thinklens/v1` fingerprint; line numbers play no part, so edits above it do not make it new.

import { readFile } from 'node:fs/promises';
import { isAbsolute, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FINGERPRINT_VERSION } from '../core/fingerprint';
import { UsageError } from './args';

export class Baseline {
  private constructor(
    private readonly known: ReadonlySet<string>,
    readonly size: number,
  ) {}

  static async load(path: string, srcRoot: string): Promise<Baseline> {
    let sarif: unknown;
    try {
      sarif = JSON.parse(await readFile(path, 'utf8'));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new UsageError(
        code === 'ENOENT'
          ? `no such baseline file: ${path}`
          : `--baseline ${path} is not SARIF JSON: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    const runs = (sarif as { runs?: unknown })?.runs;
    if (!Array.isArray(runs)) throw new UsageError(`--baseline ${path} has no "runs": is it a SARIF file?`);
    const known = new Set<string>();
    let size = 0;
    for (const run of runs as { results?: unknown[]; originalUriBaseIds?: Record<string, { uri?: string }> }[]) {
      for (const result of (run.results ?? []) as SarifResult[]) {
        const fingerprint = result.partialFingerprints?.[FINGERPRINT_VERSION];
        const location = result.locations?.[0]?.physicalLocation?.artifactLocation;
        if (typeof fingerprint !== 'string' || typeof location?.uri !== 'string') continue;
        known.add(Baseline.key(pathOf(location.uri, srcRoot), fingerprint));
        size++;
      }
    }
    return new Baseline(known, size);
  }

  static key(rootRelativePath: string, fingerprint: string): string {
    return `${rootRelativePath}\0${fingerprint}`;
  }

  has(rootRelativePath: string, fingerprint: string): boolean {
    return this.known.has(Baseline.key(rootRelativePath, fingerprint));
  }
}

interface SarifResult {
  partialFingerprints?: Record<string, unknown>;
  locations?: { physicalLocation?: { artifactLocation?: { uri?: unknown } } }[];
}

/**
 * A result's path relative to our source root. Relative URIs are relative to SRCROOT, the
 * repository's top in both runs, so they are taken as they are; file URIs are made relative.
 */
function pathOf(uri: string, srcRoot: string): string {
  if (uri.startsWith('file:')) {
    const absolute = fileURLToPath(uri);
    const rel = relative(srcRoot, absolute);
    return (rel.startsWith('..') || isAbsolute(rel) ? absolute : rel).split(sep).join('/');
  }
  return uri.split('/').map(decodeURIComponent).join('/');
}
