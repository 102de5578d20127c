// The official Node `openai` SDK with its default settings (it asks for base64 and decodes it) against the gateway at
// SPLITCOMPUTE_BASE_URL (…/v1). Embeds the JSON array SPLITCOMPUTE_INPUT with SPLITCOMPUTE_MODEL, with SPLITCOMPUTE_DIMENSIONS
// and SPLITCOMPUTE_NORMALIZE (TEI's field, passed through in the body) when set; prints the vectors as JSON, or, when the
// gateway refuses, {"error": {"status", "message", "code", "param", "type"}} as the SDK's exception carries them.
import OpenAI from 'openai';

const client = new OpenAI({ baseURL: process.env.SPLITCOMPUTE_BASE_URL, apiKey: process.env.OPENAI_API_KEY ?? 'unused', maxRetries: 0 });
const request = { model: process.env.SPLITCOMPUTE_MODEL, input: JSON.parse(process.env.SPLITCOMPUTE_INPUT) };
if (process.env.SPLITCOMPUTE_DIMENSIONS) request.dimensions = Number(process.env.SPLITCOMPUTE_DIMENSIONS);
if (process.env.SPLITCOMPUTE_NORMALIZE) request.normalize = process.env.SPLITCOMPUTE_NORMALIZE === 'true';
try {
  const response = await client.embeddings.create(request);
  process.stdout.write(JSON.stringify(response.data.map((d) => d.embedding)));
} catch (e) {
  if (!(e instanceof OpenAI.APIError)) throw e;
  process.stdout.write(JSON.stringify({ error: { status: e.status, message: e.message, code: e.code, param: e.param, type: e.type } }));
}
