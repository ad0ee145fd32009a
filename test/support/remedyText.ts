// What a person reads about an error's remedies, in both front ends: the editor's wording and the
// terminal's, joined, so a test can check a name or a secret in either.
import type { BackendError } from '../../src/core/errors';
import { editorAdvice } from '../../src/extension/remedies';
import { terminalHint } from '../../src/cli/remedies';

export function hints(error: BackendError): string {
  return `${editorAdvice(error.remedies, error.note).text} | ${terminalHint(error.remedies, error.note)}`;
}
