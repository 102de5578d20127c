// SplitComputeClient with a real WebGPU device (Dawn's Node bindings, on lavapipe here) against a running gateway: as embed.mjs,
// plus SPLITCOMPUTE_CORRUPT_SHARDS=1 (flip a byte of every shard it downloads, to prove it refuses them). Kernels are read from
// the repository (src/SplitCompute.WebGpu/Kernels), the files the .NET edge compiles. SPLITCOMPUTE_MANIFEST_KEY: a pinned
// manifest public key (PEM). SPLITCOMPUTE_KERNEL_FORMS: "calibrate" (calibrate() picks the forms; its choice is printed) or
// "plain" (the plain forms, as on a device without 8-wide subgroups). Prints the result (or the error) as JSON.
import { readFile } from "node:fs/promises";
import { create, globals } from "webgpu";
import { KERNEL_FILES, SplitComputeClient, calibrate, describeAdapter, requestTailDevice } from "../src/index.js";

Object.assign(globalThis, globals);
const env = process.env;
const kernels = new URL("../../../src/SplitCompute.WebGpu/Kernels/", import.meta.url);
try {
  const gpu = create([]);  // kept referenced: Dawn's adapter and device must not outlive it
  globalThis.splitcomputeGpu = gpu;
  const adapter = await gpu.requestAdapter();
  const device = await requestTailDevice(adapter);  // lavapipe: subgroups of 8, so the tail runs the kernels' subgroup forms
  const corrupt = env.SPLITCOMPUTE_CORRUPT_SHARDS === "1";
  const cut = env.SPLITCOMPUTE_CUT_SHARDS === "1";  // every shard's first transfer stops half way, as a dropped connection does
  let rangedRequests = 0;
  const fetcher = async (url, init) => {
    const ranged = init?.headers?.Range !== undefined;
    rangedRequests += ranged ? 1 : 0;
    const response = await fetch(url, init);
    if (!String(url).includes("/v1/shards/")) return response;
    if (corrupt) {
      const bytes = new Uint8Array(await response.arrayBuffer());
      bytes[bytes.length - 1] ^= 0xff;
      return new Response(bytes, { status: response.status, headers: response.headers });
    }
    if (cut && !ranged) {
      const bytes = new Uint8Array(await response.arrayBuffer());
      const half = bytes.subarray(0, bytes.length >> 1);
      let sent = false;  // the first half arrives, then the stream breaks (error() would discard what is queued)
      const body = new ReadableStream({ pull(c) { if (sent) c.error(new Error("connection reset")); else { sent = true; c.enqueue(half); } } });
      return new Response(body, { status: 200, headers: response.headers });
    }
    return response;
  };
  let calibration = null, kernelForms;
  if (env.SPLITCOMPUTE_KERNEL_FORMS === "calibrate") {
    const sources = Object.fromEntries(await Promise.all(KERNEL_FILES.map(async (f) => [f, await readFile(new URL(f, kernels), "utf8")])));
    calibration = await calibrate(device, sources);
    kernelForms = calibration.forms;
  } else if (env.SPLITCOMPUTE_KERNEL_FORMS === "plain") {
    kernelForms = { matmul: "matmul_rows.wgsl", attention: "attention.wgsl", layerNorm: "layernorm.wgsl" };
  }
  const client = await SplitComputeClient.connect(env.SPLITCOMPUTE_GATEWAY, {
    kernelForms,
    apiKey: env.SPLITCOMPUTE_API_KEY,
    capabilities: { ...describeAdapter(adapter), ...JSON.parse(env.SPLITCOMPUTE_CAPABILITIES) },
    device,
    fetch: fetcher,
    kernels: (file) => readFile(new URL(file, kernels), "utf8"),
    manifestKey: env.SPLITCOMPUTE_MANIFEST_KEY || undefined,
  });
  const texts = JSON.parse(env.SPLITCOMPUTE_INPUT);
  const split = env.SPLITCOMPUTE_SPLIT && /^[0-9]+$/.test(env.SPLITCOMPUTE_SPLIT) ? Number(env.SPLITCOMPUTE_SPLIT) : env.SPLITCOMPUTE_SPLIT;
  const result = await client.embed(texts, { split });
  const again = await client.embed(texts, { split });  // shards held now: nothing downloaded twice
  console.log(JSON.stringify({ ...result, againPath: again.path, againLoadMs: again.timings.loadMs, againDownloaded: again.downloadedBytes, heldShards: client.shards.hashes().length, adapter: adapter.info.device, rangedRequests,
    tailKernels: client.resident ? [client.resident.tail.matmulFile, client.resident.tail.attentionFile, client.resident.tail.layerNormFile] : null, calibration }));
} catch (error) {
  console.log(JSON.stringify({ error: { message: error.message, stack: error.stack } }));
}
process.exit(0);
