// The official Node `openai` SDK with its default settings (it asks for base64 and decodes it) against the gateway at
// SPLITCOMPUTE_BASE_URL (…/v1). Embeds the JSON array SPLITCOMPUTE_INPUT with SPLITCOMPUTE_MODEL; prints the vectors as JSON.
import OpenAI from 'openai';

const client = new OpenAI({ baseURL: process.env.SPLITCOMPUTE_BASE_URL, apiKey: process.env.OPENAI_API_KEY ?? 'unused', maxRetries: 0 });
const response = await client.embeddings.create({
  model: process.env.SPLITCOMPUTE_MODEL,
  input: JSON.parse(process.env.SPLITCOMPUTE_INPUT),
});
process.stdout.write(JSON.stringify(response.data.map((d) => d.embedding)));
