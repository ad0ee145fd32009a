// Reads a model's final answer back into findings (docs/ARCHITECTURE.md, step 6 of a run).
// Real models bend the contract in every way they can: the JSON block is fenced oddly or not at
// all, has comments and trailing commas, uses other field names, or is cut off mid-stream; the
// line numbers are often wrong. The quote is the anchor for where a finding goes, and a fix is only
// offered when it is certain to replace lines inside the code under review.
//
// This file is the entry and the prose fallback; the parts live in answer/: jsonBlock.ts finds the
// block, readJson.ts reads and repairs it, readFinding.ts reads each finding, placement.ts places it
// in the file (fixAlignment.ts and replacement.ts for its fix).

import type { CodeUnderReview, ParsedAnswer } from './types';
import { withProvenance } from './provenance';
import { stripThink } from './text';
import { type PlacedFinding, placeFindings } from './answer/placement';
import { findCandidates } from './answer/jsonBlock';
import { readCandidate } from './answer/readJson';
import { count } from './answer/helpers';

/**
 * Reads `answer` against the code it was about, and ties each finding to the passages of
 * `reasoning` behind it. Never throws, whatever the text.
 */
export function parseAnswer(answer: string, code: CodeUnderReview, reasoning = ''): ParsedAnswer {
  let text = '';
  try {
    text = stripThink(typeof answer === 'string' ? answer : String(answer ?? ''));
    const parsed = parse(text, code);
    return { ...parsed, findings: withProvenance(parsed.findings, typeof reasoning === 'string' ? reasoning : '') };
  } catch (error) {
    return {
      summary: '',
      findings: [],
      prose: text.trim(),
      problem: `The answer could not be read (${error instanceof Error ? error.message : String(error)}); its text is shown as is.`,
    };
  }
}

function parse(text: string, code: CodeUnderReview): Omit<ParsedAnswer, 'findings'> & { findings: PlacedFinding[] } {
  if (text.trim() === '') {
    return { summary: '', findings: [], prose: '', problem: 'The model gave an empty answer.', jsonMissing: true };
  }
  const candidates = findCandidates(text);
  let sawBroken = false;
  for (const candidate of candidates) {
    const read = readCandidate(candidate);
    if (read === 'broken') {
      sawBroken = true;
      continue;
    }
    if (!read) continue;
    // A model that forgot the closing fence may still have written prose after the JSON.
    const end =
      candidate.unclosedFenceBodyStart !== undefined && !read.truncated ? candidate.unclosedFenceBodyStart + read.valueEnd : candidate.end;
    // Prose around the block is the explanation; an answer that is JSON alone carries it in a field.
    const prose = tidyProse(text.slice(0, candidate.start) + '\n\n' + text.slice(end)) || read.explanation.trim();
    const { findings, unreadable } = placeFindings(read.rawFindings, code);
    let problem: string | undefined;
    const one = findings.length === 1;
    if (read.truncated) {
      problem =
        findings.length > 0
          ? 'The answer stopped before its JSON block was finished; only the ' +
            `${count(findings.length, 'finding')} written in full ${one ? 'is' : 'are'} shown.`
          : 'The answer stopped before its JSON block was finished, so no findings could be read.';
    } else if (unreadable > 0) {
      const was = unreadable === 1 ? 'was' : 'were';
      problem = `${count(unreadable, 'finding')} in the answer could not be read and ${was} left out.`;
    }
    return { summary: read.summary, findings, prose, ...(problem ? { problem } : {}) };
  }
  return {
    summary: '',
    findings: [],
    prose: tidyProse(text),
    jsonMissing: true,
    problem: sawBroken
      ? "The answer's JSON block could not be read, so no findings are listed; the explanation is shown as text."
      : 'The answer has no JSON block with findings, so none are listed; the explanation is shown as text.',
  };
}

/** The prose around the JSON block, without the fence it leaves behind or runs of blank lines. */
function tidyProse(text: string): string {
  return text
    .replace(/(`{3,}|~{3,})[a-zA-Z]*[ \t]*\r?\n?[ \t]*\1/g, '') // a fence emptied by taking the JSON out
    .replace(/\n[ \t]*\n(?:[ \t]*\n)+/g, '\n\n')
    .trim();
}
