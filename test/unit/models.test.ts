// The model list behind Select Backend, against real HTTP servers on loopback: an OpenAI-compatible
// list, Ollama's /api/tags, a refused key (the server's words shown, the key not), nothing
// listening, and an HTML page at the wrong address.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { listModels, reasoningModelsFirst } from '../../src/core/backends/models';

const KEY = 'sk-live-0123456789abcdef';
let server: Server;
let base: string;
const seen: { url: string; auth?: string }[] = [];

before(async () => {
  server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', auth: req.headers.authorization });
    const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    switch (req.url) {
      case '/openai/v1/models':
        return json(200, { object: 'list', data: [{ id: 'qwen2.5-coder' }, { id: 'deepseek-r1:8b' }] });
      case '/ollama/v1/models':
        return json(404, { error: 'not found' });
      case '/ollama/api/tags':
        return json(200, { models: [{ name: 'deepseek-r1:14b', model: 'deepseek-r1:14b' }, { name: 'llama3.2:3b' }] });
      case '/keyed/v1/models':
        return req.headers.authorization === `Bearer ${KEY}`
          ? json(200, { data: [{ id: 'ok' }] })
          : json(401, {
              error: { message: `Incorrect API key provided: ${String(req.headers.authorization).slice(7)}. Get one at the dashboard.` },
            });
      case '/html/models':
        return res.writeHead(200, { 'content-type': 'text/html' }).end('<!DOCTYPE html><html><body>Welcome</body></html>');
      default:
        return json(500, { error: { message: 'boom' } });
    }
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => new Promise<void>((ok) => server.close(() => ok())));

describe('listModels', () => {
  it('reads an OpenAI-compatible list', async () => {
    assert.deepEqual(await listModels(`${base}/openai/v1/`), { ok: true, models: ['qwen2.5-coder', 'deepseek-r1:8b'], via: 'openai' });
  });

  it("falls back to Ollama's /api/tags at the server root", async () => {
    assert.deepEqual(await listModels(`${base}/ollama/v1`), { ok: true, models: ['deepseek-r1:14b', 'llama3.2:3b'], via: 'ollama' });
  });

  it("sends the key, and on a refusal shows the server's words without the key", async () => {
    const wrong = 'sk-wrong-abcdef0123456789';
    const refused = await listModels(`${base}/keyed/v1`, { apiKey: wrong });
    assert.equal(refused.ok, false);
    assert.ok(!refused.ok && refused.kind === 'auth' && refused.status === 401);
    assert.match(refused.problem, /refused the request \(401\).*needs a valid API key.*Incorrect API key provided/);
    assert.ok(!refused.problem.includes(wrong), `the key leaked: ${refused.problem}`);
    assert.deepEqual(await listModels(`${base}/keyed/v1`, { apiKey: KEY }), { ok: true, models: ['ok'], via: 'openai' });
    assert.equal(seen.find((s) => s.url === '/keyed/v1/models')?.auth, `Bearer ${wrong}`);
  });

  it('says nothing is listening, and asks whether the server is running', async () => {
    const idle = createServer();
    await new Promise<void>((ok) => idle.listen(0, '127.0.0.1', ok));
    const port = (idle.address() as AddressInfo).port;
    await new Promise<void>((ok) => idle.close(() => ok()));
    const listing = await listModels(`http://127.0.0.1:${port}/v1`);
    assert.ok(!listing.ok && listing.kind === 'unreachable');
    assert.match(
      listing.problem,
      new RegExp(`Nothing answered at http://127\\.0\\.0\\.1:${port}/v1 \\(connection refused\\)\\. Is the server running\\?`),
    );
  });

  it('tells an HTML page from an API', async () => {
    const listing = await listModels(`${base}/html`);
    assert.ok(!listing.ok && listing.kind === 'not-an-api', JSON.stringify(listing));
    assert.match(listing.problem, /not with a model list.*API root/);
  });

  it("puts reasoning models first, keeping the server's order otherwise", () => {
    assert.deepEqual(reasoningModelsFirst(['llama3.2', 'deepseek-r1:8b', 'phi4', 'qwq']), ['deepseek-r1:8b', 'qwq', 'llama3.2', 'phi4']);
  });
});
