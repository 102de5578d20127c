// The official Node `openai` SDK with its default settings (it asks for base64 and decodes it) against the gateway at
// SPLITCOMPUTE_BASE_URL (…/v1). Embeds the JSON array SPLITCOMPUTE_INPUT with SPLITCOMPUTE_MODEL, with SPLITCOMPUTE_DIMENSIONS
// and SPLITCOMPUTE_NORMALIZE (TEI's field, passed through in the body) when set; prints the vectors as JSON, or, when the
// gateway refuses, {"error": {"status", "message", "code", "param", "type"}} as the SDK's exception carries them.
import { readFileSync } from 'node:fs';
import OpenAI from 'openai';

const client = new OpenAI({ baseURL: process.env.SPLITCOMPUTE_BASE_URL, apiKey: process.env.OPENAI_API_KEY ?? 'unused', maxRetries: 0 });
// SPLITCOMPUTE_INPUT_FILE instead of SPLITCOMPUTE_INPUT for inputs too large for an environment variable.
const input = process.env.SPLITCOMPUTE_INPUT_FILE ? readFileSync(process.env.SPLITCOMPUTE_INPUT_FILE, 'utf8') : process.env.SPLITCOMPUTE_INPUT;
const request = { model: process.env.SPLITCOMPUTE_MODEL, input: JSON.parse(input) };
if (process.env.SPLITCOMPUTE_DIMENSIONS) request.dimensions = Number(process.env.SPLITCOMPUTE_DIMENSIONS);
if (process.env.SPLITCOMPUTE_NORMALIZE) request.normalize = process.env.SPLITCOMPUTE_NORMALIZE === 'true';
// SPLITCOMPUTE_REPEAT (default 1): send the request that many times back to back and print the last answer or the first
// error (a limit of one request per second is then crossed within this process, however long Node took to start).
const repeat = Number(process.env.SPLITCOMPUTE_REPEAT ?? '1');
try {
  let response;
  for (let i = 0; i < repeat; i++) response = await client.embeddings.create(request);
  process.stdout.write(JSON.stringify(response.data.map((d) => d.embedding)));
} catch (e) {
  if (!(e instanceof OpenAI.APIError)) throw e;
  process.stdout.write(JSON.stringify({ error: { status: e.status, message: e.message, code: e.code, param: e.param, type: e.type } }));
}
