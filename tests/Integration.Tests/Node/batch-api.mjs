// The official `openai` npm package against the dispatcher's Batch API: upload, create, poll,
// download, list, and a call with a wrong key. Prints one JSON line for the test to check.
// Run from a folder whose node_modules holds `openai` (the test installs it there).
import OpenAI, { toFile } from 'openai';

const baseURL = process.env.DISPATCHER_BASE_URL;
const client = new OpenAI({ baseURL, apiKey: process.env.DISPATCHER_API_KEY, maxRetries: 0 });

const lines = Array.from({ length: 10 }, (_, i) => JSON.stringify({
  custom_id: `node-${i + 1}`,
  method: 'POST',
  url: '/v1/chat/completions',
  body: { model: 'gpt-test', messages: [{ role: 'user', content: `hello ${i + 1}` }], max_tokens: 8 },
}));
const file = await client.files.create({ file: await toFile(Buffer.from(lines.join('\n') + '\n'), 'node.jsonl'), purpose: 'batch' });
let batch = await client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h', metadata: { client: 'node' } });
const deadline = Date.now() + 60_000;
while (!['completed', 'failed', 'cancelled', 'expired'].includes(batch.status) && Date.now() < deadline) {
  await new Promise((resolve) => setTimeout(resolve, 100));
  batch = await client.batches.retrieve(batch.id);
}

const output = batch.output_file_id ? await (await client.files.content(batch.output_file_id)).text() : '';
const listed = [];
for await (const b of client.batches.list({ limit: 5 })) {
  listed.push(b.id);
}

let unauthorized = null;
try {
  await new OpenAI({ baseURL, apiKey: 'sk-wrong', maxRetries: 0 }).files.list();
} catch (e) {
  unauthorized = e.status;
}

console.log(JSON.stringify({
  fileId: file.id,
  batchId: batch.id,
  status: batch.status,
  counts: batch.request_counts,
  metadata: batch.metadata,
  outputIds: output.trim().split('\n').filter((l) => l).map((l) => JSON.parse(l).custom_id),
  listed,
  unauthorized,
}));
