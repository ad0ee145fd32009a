// Random-weight models with the shapes of real R1 distills, for benchmarks only: what they say is
// noise, but every matrix has the real size, so loading, prompt processing and generation cost what
// the real model costs on this machine. They are gigabytes: written to `.cache/models/` (ignored by
// git), never committed, and never used by unit tests at full size.
import { mkdir, rename, stat, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { GgmlType, gguf, writeGguf, f32Bytes, toHalf, tensorByteSize } from './ggufWriter';
import type { GgufTensor, GgufMetadata } from './ggufWriter';
import { deepSeekR1ChatTemplate } from './scriptedModel';

export interface ModelShape {
  readonly name: string;
  readonly architecture: 'qwen2' | 'llama';
  readonly embedding: number;
  readonly layers: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly ffn: number;
  /** Vocabulary size; the real one (not trimmed), so the output layer costs what it really costs. */
  readonly vocab: number;
  readonly contextLength: number;
  readonly ropeFreqBase: number;
  readonly rmsEps: number;
}

/** Shapes from the models' published configs. */
export const RANDOM_SHAPES = {
  /** DeepSeek-R1-Distill-Qwen-1.5B (Qwen2.5-Math-1.5B body). */
  'qwen2-1.5b': {
    name: 'DeepSeek-R1-Distill-Qwen-1.5B shape (random weights)',
    architecture: 'qwen2',
    embedding: 1536,
    layers: 28,
    heads: 12,
    kvHeads: 2,
    ffn: 8960,
    vocab: 151936,
    contextLength: 131072,
    ropeFreqBase: 10000,
    rmsEps: 1e-6,
  },
  /** Qwen2.5-0.5B: no R1 distill this small exists; a fast stand-in for quick checks. */
  'qwen2-0.5b': {
    name: 'Qwen2.5-0.5B shape (random weights)',
    architecture: 'qwen2',
    embedding: 896,
    layers: 24,
    heads: 14,
    kvHeads: 2,
    ffn: 4864,
    vocab: 151936,
    contextLength: 32768,
    ropeFreqBase: 1000000,
    rmsEps: 1e-6,
  },
} as const satisfies Record<string, ModelShape>;

export type RandomShapeId = keyof typeof RANDOM_SHAPES;

export interface RandomModelOptions {
  /** Weight matrices' type; norms and biases stay F32. Default Q8_0. */
  readonly type?: GgmlType.Q8_0 | GgmlType.F16;
  readonly seed?: number;
}

/** A fast deterministic generator (xorshift32) that fills 32-bit words. */
function fillRandom(words: Uint32Array, state: { s: number }): void {
  let s = state.s;
  for (let i = 0; i < words.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    words[i] = s >>> 0;
  }
  state.s = s;
}

const WEIGHT_STD = 0.02;
const CHUNK_VALUES = 1 << 21;

/** Random weights with a standard deviation near WEIGHT_STD, produced chunk by chunk. */
function* randomWeights(count: number, type: GgmlType.Q8_0 | GgmlType.F16, state: { s: number }): Generator<Uint8Array> {
  for (let done = 0; done < count; done += CHUNK_VALUES) {
    const n = Math.min(CHUNK_VALUES, count - done);
    if (type === GgmlType.Q8_0) {
      const bytes = new Uint8Array((n / 32) * 34);
      fillRandom(new Uint32Array(bytes.buffer, 0, Math.floor(bytes.length / 4)), state);
      // Uniform int8 has a standard deviation of about 73.9; the block scale brings it to WEIGHT_STD.
      const scale = toHalf(WEIGHT_STD / 73.9);
      for (let o = 0; o < bytes.length; o += 34) {
        bytes[o] = scale & 0xff;
        bytes[o + 1] = scale >> 8;
      }
      yield bytes;
    } else {
      const words = new Uint32Array(n);
      fillRandom(words, state);
      const halves = new Uint16Array(n);
      // Uniform in [-a, a] with a = std * sqrt(3).
      const a = WEIGHT_STD * Math.sqrt(3);
      for (let i = 0; i < n; i++) halves[i] = toHalf((words[i] / 0xffffffff) * 2 * a - a);
      yield new Uint8Array(halves.buffer);
    }
  }
}

/**
 * A SentencePiece-style vocabulary of the requested size: the R1 chat's special tokens, the byte
 * tokens, letter n-grams (so English prompts cut into tokens of a few letters, roughly like a real
 * tokenizer), then fillers.
 */
function vocabulary(size: number): { tokens: string[]; types: number[]; scores: number[] } {
  const tokens: string[] = [];
  const types: number[] = [];
  const scores: number[] = [];
  const seen = new Set<string>();
  const add = (text: string, type: number, score = 0): void => {
    if (tokens.length >= size || seen.has(text)) return;
    seen.add(text);
    tokens.push(text);
    types.push(type);
    scores.push(score);
  };
  add('<unk>', 2);
  add('<｜begin▁of▁sentence｜>', 3);
  add('<｜end▁of▁sentence｜>', 3);
  for (const special of ['<｜User｜>', '<｜Assistant｜>', '<think>', '</think>']) add(special, 4);
  for (let b = 0; b < 256; b++) add(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`, 6);
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  const chars = `${letters}${letters.toUpperCase()}0123456789.,;:!?'"()[]{}<>=+-*/_\`|&%$#@~^\\`;
  add('▁', 1, 1);
  for (const c of chars) add(c, 1, 1);
  for (const c of chars) add(`▁${c}`, 1, 2);
  for (const a of letters) for (const b of letters) add(a + b, 1, 2);
  for (const a of letters) for (const b of letters) add(`▁${a}${b}`, 1, 3);
  for (const a of letters) for (const b of letters) for (const c of letters) add(a + b + c, 1, 3);
  for (const a of letters) for (const b of letters) for (const c of letters) add(`▁${a}${b}${c}`, 1, 4);
  for (let i = 0; tokens.length < size; i++) add(`<filler_${i}>`, 1, 0);
  return { tokens, types, scores };
}

/** Writes a random-weight model of `shape` to `path` (overwriting it). */
export async function randomModelFile(path: string, shape: ModelShape, options: RandomModelOptions = {}): Promise<number> {
  const type = options.type ?? GgmlType.Q8_0;
  const state = { s: (options.seed ?? 1234567) >>> 0 || 1 };
  const { embedding: e, ffn: f, vocab: v, architecture: arch } = shape;
  const kv = (e / shape.heads) * shape.kvHeads;
  const matrix = (name: string, dims: [number, number]): GgufTensor => ({
    name,
    dims,
    type,
    data: () => randomWeights(dims[0] * dims[1], type, state),
  });
  const constant = (name: string, n: number, value: number): GgufTensor => ({
    name,
    dims: [n],
    type: GgmlType.F32,
    data: () => f32Bytes(new Float32Array(n).fill(value)),
  });
  const tensors: GgufTensor[] = [
    matrix('token_embd.weight', [e, v]),
    constant('output_norm.weight', e, 1),
    matrix('output.weight', [e, v]),
  ];
  for (let i = 0; i < shape.layers; i++) {
    const b = `blk.${i}`;
    tensors.push(
      constant(`${b}.attn_norm.weight`, e, 1),
      matrix(`${b}.attn_q.weight`, [e, e]),
      matrix(`${b}.attn_k.weight`, [e, kv]),
      matrix(`${b}.attn_v.weight`, [e, kv]),
      matrix(`${b}.attn_output.weight`, [e, e]),
      constant(`${b}.ffn_norm.weight`, e, 1),
      matrix(`${b}.ffn_gate.weight`, [e, f]),
      matrix(`${b}.ffn_up.weight`, [e, f]),
      matrix(`${b}.ffn_down.weight`, [f, e]),
    );
    // Qwen2 has biases on q, k and v.
    if (arch === 'qwen2')
      tensors.push(constant(`${b}.attn_q.bias`, e, 0), constant(`${b}.attn_k.bias`, kv, 0), constant(`${b}.attn_v.bias`, kv, 0));
  }
  const vocab = vocabulary(v);
  const metadata: GgufMetadata = {
    'general.architecture': gguf.str(arch),
    'general.name': gguf.str(shape.name),
    'general.file_type': gguf.u32(type === GgmlType.Q8_0 ? 7 : 1),
    [`${arch}.context_length`]: gguf.u32(shape.contextLength),
    [`${arch}.embedding_length`]: gguf.u32(e),
    [`${arch}.block_count`]: gguf.u32(shape.layers),
    [`${arch}.feed_forward_length`]: gguf.u32(f),
    [`${arch}.attention.head_count`]: gguf.u32(shape.heads),
    [`${arch}.attention.head_count_kv`]: gguf.u32(shape.kvHeads),
    [`${arch}.rope.freq_base`]: gguf.f32(shape.ropeFreqBase),
    [`${arch}.attention.layer_norm_rms_epsilon`]: gguf.f32(shape.rmsEps),
    ...(arch === 'llama' ? { 'llama.rope.dimension_count': gguf.u32(e / shape.heads) } : {}),
    'tokenizer.ggml.model': gguf.str('llama'),
    'tokenizer.ggml.tokens': gguf.array('string', vocab.tokens),
    'tokenizer.ggml.scores': gguf.array('f32', vocab.scores),
    'tokenizer.ggml.token_type': gguf.array('i32', vocab.types),
    'tokenizer.ggml.bos_token_id': gguf.u32(1),
    'tokenizer.ggml.eos_token_id': gguf.u32(2),
    'tokenizer.ggml.unknown_token_id': gguf.u32(0),
    'tokenizer.ggml.add_bos_token': gguf.bool(true),
    'tokenizer.ggml.add_space_prefix': gguf.bool(false),
    'tokenizer.chat_template': gguf.str(deepSeekR1ChatTemplate),
  };
  return writeGguf(path, { metadata, tensors });
}

/** Expected file size of a shape, to tell a complete cached file from a half-written one. */
export function randomModelWeightsBytes(shape: ModelShape, type: GgmlType.Q8_0 | GgmlType.F16 = GgmlType.Q8_0): number {
  const { embedding: e, ffn: f, vocab: v } = shape;
  const kv = (e / shape.heads) * shape.kvHeads;
  const perLayer = 2 * e * e + 2 * e * kv + 3 * e * f;
  return tensorByteSize(type, [e, v]) * 2 + tensorByteSize(type, [perLayer]);
}

/** The repository's model cache (`.cache/models`, ignored by git). */
export const modelCacheDir = resolve(__dirname, '../../../.cache/models');

/**
 * The cached random model for a shape, written first if missing (about 2 GB and 10–30 s for the
 * 1.5B shape). Writes to a temporary name and renames, so an interrupted write never looks done.
 */
export async function ensureRandomModel(id: RandomShapeId, options: RandomModelOptions = {}): Promise<string> {
  const type = options.type ?? GgmlType.Q8_0;
  const path = join(modelCacheDir, `random-${id}-${type === GgmlType.Q8_0 ? 'q8_0' : 'f16'}.gguf`);
  const existing = await stat(path).catch(() => undefined);
  if (existing && existing.size > randomModelWeightsBytes(RANDOM_SHAPES[id], type)) return path;
  await mkdir(dirname(path), { recursive: true });
  const partial = `${path}.partial`;
  try {
    await randomModelFile(partial, RANDOM_SHAPES[id], options);
    await rename(partial, path);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
  return path;
}
