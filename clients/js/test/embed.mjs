// SplitComputeClient against a running gateway: SPLITCOMPUTE_GATEWAY, SPLITCOMPUTE_INPUT (JSON array of texts), optional
// SPLITCOMPUTE_API_KEY, SPLITCOMPUTE_DIMENSIONS, SPLITCOMPUTE_NORMALIZE, SPLITCOMPUTE_CAPABILITIES (JSON, see capabilities.js),
// SPLITCOMPUTE_SPLIT (auto, none or a forced k). Prints the result (or the error) as JSON.
import { SplitComputeClient } from "../src/index.js";

const env = process.env;
try {
  const capabilities = env.SPLITCOMPUTE_CAPABILITIES ? JSON.parse(env.SPLITCOMPUTE_CAPABILITIES) : undefined;
  const client = await SplitComputeClient.connect(env.SPLITCOMPUTE_GATEWAY, { apiKey: env.SPLITCOMPUTE_API_KEY, capabilities });
  const result = await client.embed(JSON.parse(env.SPLITCOMPUTE_INPUT), {
    dimensions: env.SPLITCOMPUTE_DIMENSIONS ? Number(env.SPLITCOMPUTE_DIMENSIONS) : undefined,
    normalize: env.SPLITCOMPUTE_NORMALIZE ? env.SPLITCOMPUTE_NORMALIZE === "true" : undefined,
    split: env.SPLITCOMPUTE_SPLIT ? (/^[0-9]+$/.test(env.SPLITCOMPUTE_SPLIT) ? Number(env.SPLITCOMPUTE_SPLIT) : env.SPLITCOMPUTE_SPLIT) : undefined,
  });
  console.log(JSON.stringify({ model: client.model, ...result }));
} catch (error) {
  console.log(JSON.stringify({ error: { message: error.message, status: error.status ?? null, code: error.code ?? null, param: error.param ?? null } }));
}
