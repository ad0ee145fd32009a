// The GGUF writer and the scripted test model, read back by node-llama-cpp itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GgmlType, gguf, f32Bytes, f16Bytes, q8_0Bytes, toHalf, tensorByteSize, writeGguf } from '../support/gguf/ggufWriter';
import { contractJson, defaultScript, uniquePieces, writeScriptedModel } from '../support/gguf/scriptedModel';
import { randomModelFile, RANDOM_SHAPES } from '../support/gguf/randomModel';

// node-llama-cpp is ESM with top-level await: it can only be loaded with a dynamic import.
const nodeLlamaCpp = () => import('node-llama-cpp');

async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'thinklens-gguf-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

test('toHalf rounds to the nearest half-precision value, including subnormals and overflow', () => {
  assert.equal(toHalf(1), 0x3c00);
  assert.equal(toHalf(-2), 0xc000);
  assert.equal(toHalf(0.5), 0x3800);
  assert.equal(toHalf(65504), 0x7bff);
  assert.equal(toHalf(1e6), 0x7c00);
  assert.equal(toHalf(-Infinity), 0xfc00);
  assert.equal(toHalf(0), 0);
  assert.equal(toHalf(2 ** -24), 1);
  assert.equal(toHalf(1e-9), 0);
  for (const x of [0.1, -3.14159, 1234.5, 6.1e-5, 2.7e-4]) {
    assert.ok(Math.abs(halfToNumber(toHalf(x)) - x) <= Math.abs(x) * 2 ** -10, `toHalf(${x})`);
  }
});

test('Q8_0 blocks hold an f16 scale and 32 int8 values that dequantize close to the input', () => {
  const values = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i) * (i < 32 ? 1 : 0.01));
  const bytes = q8_0Bytes(values);
  assert.equal(bytes.length, tensorByteSize(GgmlType.Q8_0, [64]));
  const view = new DataView(bytes.buffer);
  for (let block = 0; block < 2; block++) {
    const d = halfToNumber(view.getUint16(block * 34, true));
    for (let i = 0; i < 32; i++) {
      const x = values[block * 32 + i];
      const back = d * view.getInt8(block * 34 + 2 + i);
      assert.ok(Math.abs(back - x) <= d, `block ${block} value ${i}: ${back} vs ${x}`);
    }
  }
  assert.throws(() => tensorByteSize(GgmlType.Q8_0, [48, 2]), /multiple of 32/);
});

test('node-llama-cpp reads back the metadata and tensor table the writer wrote', async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, 'tiny.gguf');
    const a = Float32Array.from({ length: 40 * 3 }, (_, i) => i);
    const size = await writeGguf(path, {
      metadata: {
        'general.architecture': gguf.str('llama'),
        'general.name': gguf.str('writer test ✓'),
        'llama.context_length': gguf.u32(512),
        'test.flag': gguf.bool(true),
        'test.big': gguf.u64(2n ** 40n),
        'test.ratio': gguf.f32(0.25),
        'test.words': gguf.array('string', ['a', 'ß', '<think>']),
        'test.ints': gguf.array('i32', [-1, 0, 7]),
      },
      tensors: [
        { name: 'a', dims: [40, 3], type: GgmlType.F32, data: () => f32Bytes(a) },
        { name: 'b', dims: [5], type: GgmlType.F16, data: () => f16Bytes(Float32Array.of(1, 2, 3, 4, 5)) },
        { name: 'c', dims: [64, 2], type: GgmlType.Q8_0, data: () => [q8_0Bytes(new Float32Array(64)), q8_0Bytes(new Float32Array(64))] },
      ],
    });
    assert.equal((await stat(path)).size, size);

    const { readGgufFileInfo } = await nodeLlamaCpp();
    const info = await readGgufFileInfo(path, { readTensorInfo: true });
    assert.equal(info.version, 3);
    const meta = info.metadata as unknown as {
      general: { architecture: string; name: string };
      llama: { context_length: number };
      test: { flag: boolean; big: bigint | number; ratio: number; words: string[]; ints: number[] };
    };
    assert.equal(meta.general.architecture, 'llama');
    assert.equal(meta.general.name, 'writer test ✓');
    assert.equal(meta.llama.context_length, 512);
    assert.equal(meta.test.flag, true);
    assert.equal(BigInt(meta.test.big), 2n ** 40n);
    assert.equal(meta.test.ratio, 0.25);
    assert.deepEqual(meta.test.words, ['a', 'ß', '<think>']);
    assert.deepEqual([...meta.test.ints], [-1, 0, 7]);

    const tensors = info.fullTensorInfo ?? info.tensorInfo ?? [];
    assert.deepEqual(
      tensors.map((t) => t.name),
      ['a', 'b', 'c'],
    );
    assert.deepEqual(
      tensors.map((t) => t.dimensions.map(Number)),
      [[40, 3], [5], [64, 2]],
    );
    assert.deepEqual(
      tensors.map((t) => t.ggmlType),
      [GgmlType.F32, GgmlType.F16, GgmlType.Q8_0],
    );
    for (const t of tensors) assert.equal(Number(t.offset) % 32, 0, `tensor ${t.name} is aligned`);
    // The data section starts at the header's end rounded up to 32, and the last tensor ends the file.
    assert.ok(info.infoEndOffset !== undefined);
    const dataStart = Math.ceil(info.infoEndOffset / 32) * 32;
    assert.equal(dataStart + Number(tensors[2].offset) + tensorByteSize(GgmlType.Q8_0, [64, 2]), size);
  });
});

test('the writer refuses tensor data of the wrong length', async () => {
  await withTempDir(async (dir) => {
    await assert.rejects(
      writeGguf(join(dir, 'bad.gguf'), {
        metadata: { 'general.architecture': gguf.str('llama') },
        tensors: [{ name: 'x', dims: [4], type: GgmlType.F32, data: () => new Uint8Array(12) }],
      }),
      /tensor x: expected 16 bytes of data, got 12/,
    );
  });
});

test('uniquePieces cuts text into unique pieces that join back to the text', () => {
  const used = new Set(['<think>']);
  const text = ' the cat saw the dog and the cat ran the the';
  const pieces = uniquePieces(text, used);
  assert.equal(pieces.join(''), text);
  assert.equal(new Set(pieces).size, pieces.length);
  for (const p of pieces) assert.ok(used.has(p));
  // A later section may not reuse a piece: it merges words until the piece is new.
  const more = uniquePieces('the cat ran', used);
  assert.equal(more.join(''), 'the cat ran');
  for (const p of more) assert.ok(!pieces.includes(p));
  assert.throws(() => uniquePieces('<think>', new Set(['<think>'])), /repeats a piece/);
});

test('contractJson writes the answer compactly in the schema key order', () => {
  const json = contractJson(defaultScript.answer);
  assert.deepEqual(JSON.parse(json), defaultScript.answer);
  assert.match(
    json,
    /^\{"summary":.*"findings":\[\{"title":.*"severity":.*"category":.*"startLine":2,"endLine":2,"quote":.*"explanation":.*"fix":\{"startLine":2,"endLine":2,"replacement":/,
  );
  assert.ok(!json.includes('\n'));
});

test('the scripted model loads in node-llama-cpp with the DeepSeek chat wrapper and writes its script under any sampling', async () => {
  await withTempDir(async (dir) => {
    const script = {
      reasoning: 'First I read the loop. Then I check the bound: <= walks one past the end.',
      prose: 'One bug.\n\n',
      answer: {
        summary: 'Off by one.',
        findings: [
          {
            title: 'Loop bound',
            severity: 'warning',
            category: 'edge-case',
            startLine: 3,
            endLine: 4,
            quote: 'i <= n',
            explanation: 'Reads past the end.',
          },
        ],
      },
    } as const;
    const path = join(dir, 'scripted.gguf');
    const info = await writeScriptedModel(path, script);
    assert.equal(info.freeAnswer, 'One bug.\n\n```json\n' + contractJson(script.answer) + '\n```');

    const { getLlama, LlamaChat, readGgufFileInfo } = await nodeLlamaCpp();
    const fileInfo = await readGgufFileInfo(path);
    assert.equal(fileInfo.metadata.tokenizer.chat_template?.includes('<｜Assistant｜><think>\\n'), true);

    const llama = await getLlama({ gpu: false, maxThreads: 1, logLevel: 'error' as never });
    const model = await llama.loadModel({ modelPath: path });
    const context = await model.createContext({ threads: 1, contextSize: 1024 });
    try {
      const chat = new LlamaChat({ contextSequence: context.getSequence() });
      assert.equal(chat.chatWrapper.wrapperName, 'DeepSeek');
      for (const [temperature, seed] of [
        [0, 1],
        [0.6, 2],
        [1.5, 3],
      ] as const) {
        let thought = '';
        let answer = '';
        const result = await chat.generateResponse([{ type: 'user', text: `Review this (${temperature}).` }], {
          temperature,
          topP: 0.95,
          seed,
          onResponseChunk: (chunk) => {
            if (chunk.type === 'segment' && chunk.segmentType === 'thought') thought += chunk.text;
            else if (chunk.type === undefined) answer += chunk.text;
          },
        });
        assert.equal(result.metadata.stopReason, 'eogToken');
        assert.equal(thought, script.reasoning, `reasoning at temperature ${temperature}`);
        assert.equal(answer, info.freeAnswer, `answer at temperature ${temperature}`);
      }
    } finally {
      await context.dispose();
      await model.dispose();
    }
  });
});

test('a random-weight model of a real shape has that shape in its file', async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, 'random.gguf');
    // The real writer with a small shape (the real shapes are gigabytes: benchmarks only).
    const shape = {
      ...RANDOM_SHAPES['qwen2-1.5b'],
      name: 'tiny qwen2',
      embedding: 64,
      layers: 2,
      heads: 4,
      kvHeads: 2,
      ffn: 96,
      vocab: 2048,
    };
    await randomModelFile(path, shape, { type: GgmlType.Q8_0, seed: 7 });
    const { readGgufFileInfo } = await nodeLlamaCpp();
    const info = await readGgufFileInfo(path, { readTensorInfo: true });
    const meta = info.metadata as unknown as {
      general: { architecture: string };
      qwen2: Record<string, unknown>;
      tokenizer: { ggml: { tokens: string[] } };
    };
    assert.equal(meta.general.architecture, 'qwen2');
    assert.equal(meta.qwen2.embedding_length, 64);
    assert.equal(meta.qwen2.block_count, 2);
    assert.equal(meta.qwen2.feed_forward_length, 96);
    assert.equal(meta.qwen2['attention.head_count'] ?? (meta.qwen2.attention as Record<string, unknown>).head_count, 4);
    assert.equal(meta.tokenizer.ggml.tokens.length, 2048);
    const names = new Set((info.fullTensorInfo ?? info.tensorInfo ?? []).map((t) => t.name));
    for (const n of ['token_embd.weight', 'output.weight', 'blk.1.attn_q.bias', 'blk.1.ffn_down.weight']) assert.ok(names.has(n), n);

    // llama.cpp accepts it as a qwen2 model and generates from it.
    const { getLlama, LlamaCompletion } = await nodeLlamaCpp();
    const llama = await getLlama({ gpu: false, maxThreads: 1 });
    const model = await llama.loadModel({ modelPath: path });
    const context = await model.createContext({ threads: 1, contextSize: 256 });
    try {
      const tokens = model.tokenize('the quick brown fox');
      assert.ok(tokens.length >= 4 && tokens.length <= 12, `n-gram tokens, got ${tokens.length}`);
      const completion = new LlamaCompletion({ contextSequence: context.getSequence() });
      let generated = 0;
      await completion.generateCompletion('the quick brown fox', {
        maxTokens: 5,
        onToken: (t) => {
          generated += t.length;
        },
      });
      assert.ok(generated > 0);
    } finally {
      await context.dispose();
      await model.dispose();
    }
  });
});
