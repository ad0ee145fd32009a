// Every command id ThinkLens registers, in one place. The panel's buttons, the host's registrations,
// code actions and messages all name commands through this table; test/unit/commandIds.test.ts checks
// it against package.json's contributions both ways. It lives beside the protocol because both the
// host and the webview name commands (the webview imports nothing from the extension).

/** Commands a person can run: contributed in package.json (palette, menus, keybindings, walkthrough). */
export const COMMAND = {
  explainBug: 'thinklens.explainBug',
  reviewSelection: 'thinklens.reviewSelection',
  checkProof: 'thinklens.checkProof',
  reviewFile: 'thinklens.reviewFile',
  reviewChanges: 'thinklens.reviewChanges',
  reviewStaged: 'thinklens.reviewStaged',
  reviewUnstaged: 'thinklens.reviewUnstaged',
  reviewBranch: 'thinklens.reviewBranch',
  reviewCommit: 'thinklens.reviewCommit',
  followUp: 'thinklens.followUp',
  cancel: 'thinklens.cancel',
  answerNow: 'thinklens.answerNow',
  selectBackend: 'thinklens.selectBackend',
  setApiKey: 'thinklens.setApiKey',
  downloadModel: 'thinklens.downloadModel',
  clearFindings: 'thinklens.clearFindings',
  exportTrace: 'thinklens.exportTrace',
  showHistory: 'thinklens.showHistory',
  showLog: 'thinklens.showLog',
  detectLocalServers: 'thinklens.detectLocalServers',
  openSample: 'thinklens.openSample',
  showDismissedFindings: 'thinklens.showDismissedFindings',
  hideDismissedFindings: 'thinklens.hideDismissedFindings',
} as const;

/** Commands behind code actions, hovers and the panel: registered, never contributed (not in the palette). */
export const INTERNAL_COMMAND = {
  applyFix: 'thinklens.applyFix',
  previewFix: 'thinklens.previewFix',
  applyAllFixes: 'thinklens.applyAllFixes',
  dismissFinding: 'thinklens.dismissFinding',
  undismissFinding: 'thinklens.undismissFinding',
  markFinding: 'thinklens.markFinding',
  showFinding: 'thinklens.showFinding',
} as const;

export type PublicCommandId = (typeof COMMAND)[keyof typeof COMMAND];
export type InternalCommandId = (typeof INTERNAL_COMMAND)[keyof typeof INTERNAL_COMMAND];
export type CommandId = PublicCommandId | InternalCommandId;
