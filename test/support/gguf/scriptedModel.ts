// A tiny deterministic "model" for tests: it writes a fixed script under any sampling.
//
// How: a llama-architecture GGUF whose attention and feed-forward weights are all zero and whose
// norms are one, so the hidden state of a position is just its token's embedding. Embeddings are
// one-hot over "token classes" and the output matrix maps each class to its successor with a large
// logit, so the model's next token depends only on the current one. Every script piece is its own
// user-defined token, unique, so "the token after X" is always defined.
//
// The script: `<think>` reasoning `</think>` prose "```json\n" JSON "\n```" EOS. Each token also has
// a second, weaker successor for grammar-constrained sampling: when the local backend constrains the
// answer to the JSON schema, the prose and the fences are not allowed, so after `</think>` the best
// allowed token is the JSON's first piece, and after the JSON's last piece it is EOS. The JSON is
// written compactly in the schema's key order so that every piece is accepted by the grammar.
import { GgmlType, gguf, writeGguf, f32Bytes } from './ggufWriter';
import type { GgufFile, GgufTensor, GgufMetadata } from './ggufWriter';

export interface ScriptedFix {
  readonly startLine: number;
  readonly endLine: number;
  readonly replacement: string;
}

export interface ScriptedFinding {
  readonly title: string;
  readonly severity: 'error' | 'warning' | 'info';
  readonly category: 'bug' | 'edge-case' | 'performance' | 'security' | 'maintainability';
  readonly startLine: number;
  readonly endLine: number;
  readonly quote: string;
  readonly explanation: string;
  readonly fix?: ScriptedFix;
}

/** The answer contract's JSON object (docs/ARCHITECTURE.md "The answer contract"). */
export interface ScriptedAnswer {
  readonly summary: string;
  readonly findings: readonly ScriptedFinding[];
}

export interface ScriptOptions {
  /** Text between `<think>` and `</think>`. */
  readonly reasoning?: string;
  /** Free answer text before the fenced JSON block (skipped under a JSON grammar). */
  readonly prose?: string;
  /** The JSON block. */
  readonly answer?: ScriptedAnswer;
  /** Written as `general.name`. */
  readonly name?: string;
}

export interface ScriptedModelInfo {
  readonly path: string;
  readonly reasoning: string;
  readonly prose: string;
  /** The JSON block's text, compact, as the model writes it. */
  readonly answerJson: string;
  /** What the model writes after `</think>` when nothing constrains it. */
  readonly freeAnswer: string;
  /** Script tokens, excluding EOS. */
  readonly scriptTokenCount: number;
  readonly vocabularySize: number;
}

export const defaultScript = {
  reasoning:
    'Okay, the user wants me to check this loop. The bound uses <= items.length, so the last ' +
    'iteration reads one past the end of the array. That returns undefined and the sum becomes NaN. ' +
    'The fix is to use < instead.',
  prose: 'The loop reads one element past the end of the array.\n\n',
  answer: {
    summary: 'The loop bound is off by one: it reads items[items.length], which is undefined.',
    findings: [
      {
        title: 'Off-by-one in loop bound',
        severity: 'error',
        category: 'bug',
        startLine: 2,
        endLine: 2,
        quote: 'for (let i = 0; i <= items.length; i++) {',
        explanation: 'With `<=` the last iteration reads `items[items.length]`, which is `undefined`; the total becomes `NaN`.',
        fix: { startLine: 2, endLine: 2, replacement: '  for (let i = 0; i < items.length; i++) {' },
      },
    ],
  },
} satisfies Required<Omit<ScriptOptions, 'name'>>;

/**
 * The answer object serialised compactly, keys in the schema's order (the order the local
 * backend's JSON grammar requires).
 */
export function contractJson(answer: ScriptedAnswer): string {
  return JSON.stringify({
    summary: answer.summary,
    findings: answer.findings.map((f) => ({
      title: f.title,
      severity: f.severity,
      category: f.category,
      startLine: f.startLine,
      endLine: f.endLine,
      quote: f.quote,
      explanation: f.explanation,
      ...(f.fix ? { fix: { startLine: f.fix.startLine, endLine: f.fix.endLine, replacement: f.fix.replacement } } : {}),
    })),
  });
}

// A DeepSeek-R1 style chat template (same rendering as the R1 distills' own): node-llama-cpp
// recognises it as its DeepSeekChatWrapper, which reports `<think>` text as thought segments.
export const deepSeekR1ChatTemplate =
  '{% if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}{% endif %}' +
  "{% set ns = namespace(system_prompt='') %}" +
  "{%- for message in messages %}{%- if message['role'] == 'system' %}{% set ns.system_prompt = message['content'] %}{%- endif %}{%- endfor %}" +
  '{{ bos_token }}{{ ns.system_prompt }}' +
  '{%- for message in messages %}' +
  "{%- if message['role'] == 'user' %}{{ '<｜User｜>' + message['content'] }}" +
  "{%- elif message['role'] == 'assistant' %}{% set content = message['content'] %}" +
  "{% if '</think>' in content %}{% set content = content.split('</think>')[-1] %}{% endif %}" +
  "{{ '<｜Assistant｜>' + content + '<｜end▁of▁sentence｜>' }}" +
  '{%- endif %}{%- endfor %}' +
  "{% if add_generation_prompt %}{{ '<｜Assistant｜><think>\\n' }}{% endif %}";

// Token types in GGUF's `tokenizer.ggml.token_type`.
const NORMAL = 1;
const UNKNOWN = 2;
const CONTROL = 3;
const USER_DEFINED = 4;
const BYTE = 6;

/** Cuts text into word-sized pieces, each unique among `used` (repeats are merged with neighbours). */
export function uniquePieces(text: string, used: Set<string>): string[] {
  if (text === '') return [];
  const words = text.match(/\s*\S+\s*/g) ?? [text];
  // Leading whitespace belongs to the first word; trailing whitespace after the last one stays on it.
  const pieces: string[] = [];
  let pending = '';
  for (const word of words) {
    pending += word;
    if (!used.has(pending)) {
      pieces.push(pending);
      used.add(pending);
      pending = '';
    }
  }
  while (pending !== '') {
    const last = pieces.pop();
    if (last === undefined) throw new Error(`script text ${JSON.stringify(text)} repeats a piece already used; make it differ`);
    used.delete(last);
    pending = last + pending;
    if (!used.has(pending)) {
      pieces.push(pending);
      used.add(pending);
      pending = '';
    }
  }
  return pieces;
}

const specialTexts = {
  unknown: '<unk>',
  bos: '<｜begin▁of▁sentence｜>',
  eos: '<｜end▁of▁sentence｜>',
  user: '<｜User｜>',
  assistant: '<｜Assistant｜>',
  thinkOpen: '<think>',
  thinkClose: '</think>',
} as const;

function byteTokenText(b: number): string {
  return `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`;
}

interface Vocabulary {
  readonly tokens: string[];
  readonly types: number[];
  readonly id: Map<string, number>;
}

const PRIMARY_LOGIT = 100;
const SECONDARY_LOGIT = 50;

/** Builds the scripted model's tensors and metadata (write it with `writeGguf`). */
export function buildScriptedModel(options: ScriptOptions = {}): { file: GgufFile; info: Omit<ScriptedModelInfo, 'path'> } {
  const reasoning = options.reasoning ?? defaultScript.reasoning;
  const prose = options.prose ?? defaultScript.prose;
  const answerJson = contractJson(options.answer ?? defaultScript.answer);

  const vocab: Vocabulary = { tokens: [], types: [], id: new Map() };
  const add = (text: string, type: number): number => {
    if (vocab.id.has(text)) throw new Error(`duplicate token ${JSON.stringify(text)}`);
    vocab.id.set(text, vocab.tokens.length);
    vocab.tokens.push(text);
    vocab.types.push(type);
    return vocab.tokens.length - 1;
  };
  const unk = add(specialTexts.unknown, UNKNOWN);
  const bos = add(specialTexts.bos, CONTROL);
  const eos = add(specialTexts.eos, CONTROL);
  add(specialTexts.user, USER_DEFINED);
  const assistant = add(specialTexts.assistant, USER_DEFINED);
  const thinkOpen = add(specialTexts.thinkOpen, USER_DEFINED);
  const thinkClose = add(specialTexts.thinkClose, USER_DEFINED);
  add('▁', NORMAL);
  for (let b = 0; b < 256; b++) add(byteTokenText(b), BYTE);

  const used = new Set(vocab.tokens);
  const section = (text: string): number[] => uniquePieces(text, used).map((p) => add(p, USER_DEFINED));
  const reasoningIds = section(reasoning);
  const proseIds = section(prose);
  const [fenceOpen] = section('```json\n');
  const jsonIds = section(answerJson);
  const [fenceClose] = section('\n```');
  if (jsonIds.length === 0) throw new Error('the scripted answer JSON is empty');

  // Successors: [primary, secondary?] per token id; everything unlisted behaves like "start".
  const firstReasoning = reasoningIds[0] ?? thinkClose;
  const successors = new Map<number, [number, number?]>();
  successors.set(assistant, [thinkOpen]);
  successors.set(thinkOpen, [firstReasoning]);
  reasoningIds.forEach((id, i) => successors.set(id, [reasoningIds[i + 1] ?? thinkClose]));
  successors.set(thinkClose, [proseIds[0] ?? fenceOpen, jsonIds[0]]);
  proseIds.forEach((id, i) => successors.set(id, [proseIds[i + 1] ?? fenceOpen]));
  successors.set(fenceOpen, [jsonIds[0]]);
  jsonIds.forEach((id, i) => successors.set(id, i === jsonIds.length - 1 ? [fenceClose, eos] : [jsonIds[i + 1]]));
  successors.set(fenceClose, [eos]);

  // Token classes: class 0 is "any other token" (bytes, BOS, the user marker, a prefilled
  // newline...), which leads into the reasoning; each listed token gets its own class.
  const classOf = new Map<number, number>();
  for (const id of successors.keys()) classOf.set(id, classOf.size + 1);
  const classCount = classOf.size + 1;
  const vocabSize = vocab.tokens.length;
  const width = Math.ceil(classCount / 32) * 32;
  const heads = 2;

  const embeddings = new Float32Array(width * vocabSize);
  for (let t = 0; t < vocabSize; t++) embeddings[t * width + (classOf.get(t) ?? 0)] = 1;

  // The final norm turns a one-hot row into sqrt(width) at its class, so scale to get exact logits.
  const scale = 1 / Math.sqrt(width);
  const output = new Float32Array(width * vocabSize);
  const setLogit = (cls: number, next: number, logit: number): void => {
    output[next * width + cls] = logit * scale;
  };
  setLogit(0, firstReasoning, PRIMARY_LOGIT);
  for (const [id, [primary, secondary]] of successors) {
    const cls = classOf.get(id)!;
    setLogit(cls, primary, PRIMARY_LOGIT);
    if (secondary !== undefined) setLogit(cls, secondary, SECONDARY_LOGIT);
  }

  const ffn = 32;
  const ones = (n: number): Float32Array => new Float32Array(n).fill(1);
  const zeros = (dims: number[]): GgufTensor => ({
    name: '',
    dims,
    type: GgmlType.F32,
    data: () => new Uint8Array(dims.reduce((a, b) => a * b, 4)),
  });
  const tensors: GgufTensor[] = [
    { name: 'token_embd.weight', dims: [width, vocabSize], type: GgmlType.F32, data: () => f32Bytes(embeddings) },
    { name: 'output_norm.weight', dims: [width], type: GgmlType.F32, data: () => f32Bytes(ones(width)) },
    { name: 'output.weight', dims: [width, vocabSize], type: GgmlType.F32, data: () => f32Bytes(output) },
    { name: 'blk.0.attn_norm.weight', dims: [width], type: GgmlType.F32, data: () => f32Bytes(ones(width)) },
    { ...zeros([width, width]), name: 'blk.0.attn_q.weight' },
    { ...zeros([width, width]), name: 'blk.0.attn_k.weight' },
    { ...zeros([width, width]), name: 'blk.0.attn_v.weight' },
    { ...zeros([width, width]), name: 'blk.0.attn_output.weight' },
    { name: 'blk.0.ffn_norm.weight', dims: [width], type: GgmlType.F32, data: () => f32Bytes(ones(width)) },
    { ...zeros([width, ffn]), name: 'blk.0.ffn_gate.weight' },
    { ...zeros([width, ffn]), name: 'blk.0.ffn_up.weight' },
    { ...zeros([ffn, width]), name: 'blk.0.ffn_down.weight' },
  ];

  const metadata: GgufMetadata = {
    'general.architecture': gguf.str('llama'),
    'general.name': gguf.str(options.name ?? 'DeepSeek-R1-Distill ThinkLens scripted test model'),
    'general.file_type': gguf.u32(0),
    'llama.context_length': gguf.u32(4096),
    'llama.embedding_length': gguf.u32(width),
    'llama.block_count': gguf.u32(1),
    'llama.feed_forward_length': gguf.u32(ffn),
    'llama.attention.head_count': gguf.u32(heads),
    'llama.attention.head_count_kv': gguf.u32(heads),
    'llama.rope.dimension_count': gguf.u32(width / heads),
    'llama.attention.layer_norm_rms_epsilon': gguf.f32(1e-5),
    'tokenizer.ggml.model': gguf.str('llama'),
    'tokenizer.ggml.tokens': gguf.array('string', vocab.tokens),
    'tokenizer.ggml.scores': gguf.array(
      'f32',
      vocab.tokens.map(() => 0),
    ),
    'tokenizer.ggml.token_type': gguf.array('i32', vocab.types),
    'tokenizer.ggml.bos_token_id': gguf.u32(bos),
    'tokenizer.ggml.eos_token_id': gguf.u32(eos),
    'tokenizer.ggml.unknown_token_id': gguf.u32(unk),
    'tokenizer.ggml.add_bos_token': gguf.bool(true),
    'tokenizer.ggml.add_eos_token': gguf.bool(false),
    'tokenizer.ggml.add_space_prefix': gguf.bool(false),
    'tokenizer.chat_template': gguf.str(deepSeekR1ChatTemplate),
  };

  return {
    file: { metadata, tensors },
    info: {
      reasoning,
      prose,
      answerJson,
      freeAnswer: `${prose}\`\`\`json\n${answerJson}\n\`\`\``,
      scriptTokenCount: 2 + reasoningIds.length + proseIds.length + 2 + jsonIds.length,
      vocabularySize: vocabSize,
    },
  };
}

/** Writes the scripted model to `path`. */
export async function writeScriptedModel(path: string, options: ScriptOptions = {}): Promise<ScriptedModelInfo> {
  const { file, info } = buildScriptedModel(options);
  await writeGguf(path, file);
  return { path, ...info };
}
