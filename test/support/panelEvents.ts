// A panel session whose host side ignores every message from the panel: for benchmarks and tests
// that only watch what the session posts.
import type { PanelSessionEvents } from '../../src/extension/panel/panelSession';

export function ignoredPanelEvents(): PanelSessionEvents {
  const noop = () => undefined;
  return {
    revealFinding: noop,
    applyFix: noop,
    previewFix: noop,
    dismissFinding: noop,
    undismissFinding: noop,
    markFinding: noop,
    showDismissed: noop,
    cancelRun: noop,
    answerNow: noop,
    rerun: noop,
    useBaseUrl: noop,
    followUp: noop,
    runCommand: noop,
    exportRun: noop,
    openLink: noop,
    openLocation: noop,
    rejected: noop,
    unsendable: noop,
    historyChanged: noop,
  };
}
