// conformance.mjs — drives `baton mcp` with the official MCP TypeScript SDK client:
// lists the tools, runs the main job on a rendered image with progress, calls
// task tools, reads a produced file as a resource, cancels a long run.
// Usage: node conformance.mjs /path/to/baton    (run by ctest as mcp_sdk_conformance)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';

let Client, StdioClientTransport, CallToolResultSchema;
try {
  ({ Client } = await import('@modelcontextprotocol/sdk/client/index.js'));
  ({ StdioClientTransport } = await import('@modelcontextprotocol/sdk/client/stdio.js'));
  ({ CallToolResultSchema } = await import('@modelcontextprotocol/sdk/types.js'));
} catch (e) {
  console.error('the MCP SDK is not installed: run `npm ci` in tests/mcp (scripts/setup.sh --tests does)');
  process.exit(1);
}

const baton = process.argv[2];
assert.ok(baton, 'usage: node conformance.mjs /path/to/baton');
const dir = mkdtempSync(join(tmpdir(), 'baton-mcp-'));
const env = {
  PATH: process.env.PATH,
  HOME: dir,
  XDG_RUNTIME_DIR: dir, // the audio library's runtime folder goes with the rest, not to /tmp/pulse-*
  BATON_HOME: join(dir, 'home'),
  BATON_CONFIG: join(dir, 'config.yaml'),
  BATON_NO_DAEMON: '1',
  BATON_DEBUG_EXECUTORS: '1',
};
writeFileSync(env.BATON_CONFIG, 'workers: 2\n');

const words = 'Riverside library opens at nine and closes at eight on weekdays';
execFileSync('/usr/bin/convert', ['-background', 'white', '-fill', 'black', '-font', 'DejaVu-Sans',
  '-pointsize', '36', '-size', '1400x', `caption:${words}`, '-bordercolor', 'white', '-border', '30',
  join(dir, 'sign.png')]);

const client = new Client({ name: 'baton-conformance', version: '1.0.0' });
const transport = new StdioClientTransport({ command: baton, args: ['mcp'], env, cwd: dir, stderr: 'inherit' });
const ok = (what) => console.log(`ok - ${what}`);
const text = (res) => res.content.filter((b) => b.type === 'text').map((b) => b.text).join('\n');

try {
  await client.connect(transport);
  assert.equal(client.getServerVersion().name, 'baton');
  ok('initialize');

  const { tools } = await client.listTools();
  const names = tools.map((t) => t.name);
  for (const n of ['run', 'plan', 'models_search', 'image_to_text', 'text_to_speech', 'debug_sleep'])
    assert.ok(names.includes(n), `tools/list has ${n}: ${names.join(', ')}`);
  const itt = tools.find((t) => t.name === 'image_to_text');
  assert.deepEqual(itt.inputSchema.required, ['image']);
  assert.match(itt.description, /image/i);
  ok(`tools/list: ${names.length} tools`);

  const progress = [];
  const run = await client.callTool(
    { name: 'run', arguments: { request: 'read the text in sign.png and summarize it' } },
    CallToolResultSchema, { onprogress: (p) => progress.push(p) });
  assert.ok(!run.isError, `run failed: ${text(run)}`);
  assert.match(text(run), /Riverside/i);
  assert.ok(progress.length >= 3, `progress notifications: ${progress.length}`);
  for (let i = 1; i < progress.length; i++)
    assert.ok(progress[i].progress > progress[i - 1].progress, 'progress increases');
  assert.equal(run.structuredContent.status, 'done');
  ok(`run: the answer cites the image, ${progress.length} progress notifications`);

  const ocr = await client.callTool({ name: 'image_to_text', arguments: { image: 'sign.png' } });
  assert.ok(!ocr.isError, text(ocr));
  assert.match(text(ocr), /library/i);
  ok('image_to_text');

  const saved = await client.callTool(
    { name: 'run', arguments: { request: 'read the text in sign.png and save it as résumé.txt' } });
  assert.ok(!saved.isError, text(saved));
  const link = saved.content.find((b) => b.type === 'resource_link' && b.name === 'résumé.txt');
  assert.ok(link, `the saved text is a resource link: ${JSON.stringify(saved.content)}`);
  assert.equal(link.mimeType, 'text/plain');
  assert.match(link.uri, /\/r%C3%A9sum%C3%A9\.txt$/, 'the name is one encoded URI segment');
  const txt = await client.readResource({ uri: link.uri });
  assert.match(txt.contents[0].text, /library/i);
  ok('run: a text saved as asked is a resource');

  const bad = await client.callTool({ name: 'image_to_text', arguments: {} });
  assert.equal(bad.isError, true);
  assert.match(text(bad), /image/);
  const outside = await client.callTool({ name: 'image_to_text', arguments: { image: '/etc/passwd' } });
  assert.equal(outside.isError, true);
  ok('bad arguments are tool errors');

  const tts = await client.callTool({ name: 'text_to_speech', arguments: { text: 'hello from baton' } });
  assert.ok(!tts.isError, text(tts));
  const audio = tts.content.find((b) => b.type === 'audio');
  assert.ok(audio, 'an audio block');
  assert.equal(audio.mimeType, 'audio/wav');
  assert.equal(Buffer.from(audio.data, 'base64').subarray(0, 4).toString(), 'RIFF');
  const { resources } = await client.listResources();
  const wav = resources.find((r) => r.mimeType === 'audio/wav');
  assert.ok(wav, `the wav file is a resource: ${JSON.stringify(resources)}`);
  const read = await client.readResource({ uri: wav.uri });
  assert.equal(Buffer.from(read.contents[0].blob, 'base64').subarray(0, 4).toString(), 'RIFF');
  ok('text_to_speech: inline audio, readable as a resource');

  const found = await client.callTool({ name: 'models_search', arguments: { text: 'ocr', limit: 3 } });
  assert.ok(!found.isError && found.structuredContent.models.length >= 1, text(found));
  ok('models_search');

  // Cancel a long run once it has started; the run must end cancelled.
  const ac = new AbortController();
  const t0 = Date.now();
  const long = client.callTool({ name: 'debug_sleep', arguments: { text: '120000' } }, CallToolResultSchema,
    { signal: ac.signal, onprogress: (p) => { if (/started/.test(p.message ?? '')) ac.abort('enough'); } });
  await assert.rejects(long);
  // Polled for up to a minute: `baton runs list` is slow to start under ASan on a busy machine.
  let status = '';
  for (const end = Date.now() + 60000; Date.now() < end && status !== 'cancelled';) {
    const runs = JSON.parse(execFileSync(baton, ['runs', 'list', '--json', '--local'], { env }).toString());
    status = runs[0]?.status ?? '';
    if (status !== 'cancelled') await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(status, 'cancelled');
  assert.ok(Date.now() - t0 < 60000, 'cancelled well before the sleep ended');
  await client.ping();
  ok(`cancelled a long run in ${Date.now() - t0} ms; the server still answers`);
} finally {
  await client.close();
  rmSync(dir, { recursive: true, force: true });
}
