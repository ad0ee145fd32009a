import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { defaultExportFolder, exportFileName, isInside } from '../../src/extension/panel/exportLocation';

describe('where an export is offered to go', () => {
  const home = '/home/ada';
  const repo = '/home/ada/src/shop';

  it('never the workspace folder: the home folder when nothing is remembered', () => {
    assert.equal(defaultExportFolder(undefined, [repo], home), home);
  });

  it('the folder used last, when it is outside every workspace folder', () => {
    assert.equal(defaultExportFolder('/home/ada/notes', [repo], home), '/home/ada/notes');
  });

  it('not the folder used last when it lies inside a workspace folder (or is one)', () => {
    assert.equal(defaultExportFolder('/home/ada/src/shop/docs', [repo], home), home);
    assert.equal(defaultExportFolder(repo, ['/elsewhere', repo], home), home);
    assert.equal(defaultExportFolder('relative/dir', [repo], home), home);
  });

  it('tells a sibling with a common prefix from a subfolder', () => {
    assert.equal(isInside('/home/ada/src/shop-notes', repo), false);
    assert.equal(isInside('/home/ada/src/shop/a/b', repo), true);
    assert.equal(defaultExportFolder('/home/ada/src/shop-notes', [repo], home), '/home/ada/src/shop-notes');
  });

  it('names the file after the time and the title', () => {
    assert.equal(
      exportFileName(Date.UTC(2026, 10, 30, 11, 5, 9), 'Review file: src/cart.ts', 'review'),
      'thinklens-2026-11-30-11-05-09-review-file-src-cart-ts.md',
    );
    assert.equal(exportFileName(Date.UTC(2026, 10, 30), '***', 'session'), 'thinklens-2026-11-30-00-00-00-session.md');
  });
});
