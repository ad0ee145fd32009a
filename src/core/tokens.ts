// Token counts that are never low. Where the server counts (llama.cpp, vLLM, SGLang, the
// in-process model) the backend asks it (`Backend.countTokens`); everywhere else the planner uses
// this estimate, which errs high on every kind of text a review sends, and then corrects it with
// what the server reports (`TokenCalibration`): the worst ratio of counted to estimated tokens seen
// for that server and model is applied to every later estimate.
//
// Why not "three characters a token": byte-level BPE vocabularies (DeepSeek, Qwen, Llama 3, the
// GPT ones) give one token to roughly four characters of English or everyday code, but about one
// token to each Chinese, Japanese or Korean character, one to each digit (Qwen splits numbers
// digit by digit), and one to every 1.4 to 2 characters of minified code, base64 or hex. A file
// whose comments are Chinese counts about 1.6 times what "three characters" expects, and the
// planner then asks for a window smaller than the prompt. The rules below price each piece of text
// by its kind; test/unit/tokens.test.ts checks them against two real BPE vocabularies.

/** A run of characters such as base64, a hash or a key: BPE finds almost no merges in it. */
const DENSE_RUN = /[A-Za-z0-9+/_-]{20,}={0,2}/g;
/** Hex of hash length or more. */
const HEX_RUN = /^[0-9a-fA-F]{32,}$/;
/** Tokens per character of a dense run (base64 counts about 0.72, hex about 0.57 in cl100k). */
const DENSE_TOKENS_PER_CHAR = 0.8;

/** One piece of text of one kind; the groups name the kind. */
const PIECE =
  /(?<space>\s+)|(?<hangul>\p{Script=Hangul})|(?<wide>[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\u3000-\u303f\uff00-\uffef])|(?<digit>\p{Nd})|(?<ascii>[A-Za-z]+)|(?<alphabetic>[\p{Script=Latin}\p{Script=Cyrillic}\p{Script=Greek}]+)|(?<letter>\p{L}|\p{M})|(?<punct>[!-/:-@[-`{-~])|(?<other>.)/gsu;
/** A Chinese or Japanese character (and CJK punctuation): about one token, a few rarer ones two. */
const WIDE_TOKENS = 1.1;
/** A Korean syllable: cl100k splits many of them. */
const HANGUL_TOKENS = 1.3;
/** Words inside an ASCII letter run: `getElementById` is get, Element, By, Id. */
const WORD = /[A-Z]?[a-z]+|[A-Z]+(?![a-z])/g;

/**
 * Tokens `text` takes, erring high: about one per CJK character and per digit, one per ASCII
 * symbol, two or three per other symbol (emoji), a word of up to six letters as one, and dense runs
 * (base64, hashes) near one per character.
 */
export function estimateTokens(text: string): number {
  let tokens = 0;
  let rest = '';
  let from = 0;
  for (const match of text.matchAll(DENSE_RUN)) {
    const run = match[0];
    if (!isDense(run)) continue;
    rest += text.slice(from, match.index);
    tokens += Math.ceil(run.length * DENSE_TOKENS_PER_CHAR);
    from = match.index + run.length;
  }
  rest += text.slice(from);
  return tokens + estimatePieces(rest);
}

function isDense(run: string): boolean {
  if (HEX_RUN.test(run)) return true;
  return /[a-z]/.test(run) && /[A-Z]/.test(run) && /\d/.test(run);
}

function estimatePieces(text: string): number {
  let tokens = 0;
  for (const match of text.matchAll(PIECE)) {
    const piece = match.groups!;
    if (piece.space !== undefined) tokens += spaceCost(piece.space);
    else if (piece.ascii !== undefined) tokens += asciiWordsCost(piece.ascii);
    else if (piece.alphabetic !== undefined) tokens += Math.ceil(piece.alphabetic.length / 2);
    else if (piece.wide !== undefined) tokens += WIDE_TOKENS;
    else if (piece.hangul !== undefined) tokens += HANGUL_TOKENS;
    else if (piece.other !== undefined) tokens += piece.other.length > 1 ? 3 : piece.other.charCodeAt(0) > 0x7f ? 2 : 1;
    else tokens += 1; // a digit, a letter of another script, an ASCII symbol
  }
  return Math.ceil(tokens);
}

/** A single space joins the word after it; other whitespace (line breaks, indentation) is a token or more. */
function spaceCost(space: string): number {
  if (space === ' ') return 0;
  const breaks = space.match(/\r\n|\r|\n/g)?.length ?? 0;
  return 1 + Math.floor(breaks / 2) + Math.floor(space.length / 16);
}

function asciiWordsCost(letters: string): number {
  let tokens = 0;
  for (const match of letters.matchAll(WORD)) {
    const word = match[0];
    tokens += /^[A-Z]{2,}$/.test(word) ? Math.ceil(word.length / 3) : Math.ceil(word.length / 6);
  }
  return tokens;
}

/**
 * How far the estimate fell short for each server and model: the worst ratio of the tokens a
 * server counted (its `/tokenize`, or `prompt_eval_count` / `usage.prompt_tokens` after a
 * request) to what `estimateTokens` said for the same prompt. Never below 1: an estimate that
 * was high once is not trusted to be high for the next, denser, prompt.
 */
export class TokenCalibration {
  private readonly worst = new Map<string, number>();

  /** What every estimate for this server and model is multiplied by. */
  factor(key: string): number {
    return this.worst.get(key) ?? 1;
  }

  /** Records one prompt's count; returns true when the factor grew. */
  observe(key: string, estimated: number, counted: number): boolean {
    if (!(estimated > 0) || !(counted > 0) || !Number.isFinite(counted)) return false;
    const ratio = counted / estimated;
    if (ratio <= this.factor(key)) return false;
    this.worst.set(key, ratio);
    return true;
  }
}

/** The session's calibration (the extension host and one CLI invocation are one session each). */
export const sessionCalibration = new TokenCalibration();

/** One server and model, as the calibration keys them. */
export function calibrationKey(backend: { readonly id: string; readonly endpoint?: string; readonly model: string }): string {
  return `${backend.id}\u0000${backend.endpoint ?? ''}\u0000${backend.model}`;
}

/**
 * The prompt's size when a server's refusal names it: llama.cpp's "request (N tokens) exceeds the
 * available context size (M tokens)" (also relayed by Ollama), its `n_prompt_tokens`, and vLLM's
 * "However, you requested N tokens (P in the messages, C in the completion)" and "your request has P
 * input tokens".
 */
export function promptTokensInRefusal(message: string | undefined): number | undefined {
  if (!message) return undefined;
  const found =
    /"n_prompt_tokens"\s*:\s*(\d+)/.exec(message) ??
    /\((\d+) tokens\) exceeds the available context size/.exec(message) ??
    /input \((\d+) tokens\) is larger than the max context size/.exec(message) ??
    /\((\d+) in the messages/.exec(message) ??
    /your request has (\d+) input tokens/.exec(message);
  const tokens = found ? Number(found[1]) : NaN;
  return Number.isFinite(tokens) && tokens > 0 ? tokens : undefined;
}
