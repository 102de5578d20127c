// Issue 24's browser benchmark: one GPT-2 block at T = 128 in Debian's headless Chromium (puppeteer-core; WebGPU is Chromium's
// SwiftShader here), with the client's own WebGpuTail and the .NET edge's kernels, for gpt2 and gpt2-xl widths: the block's time
// (median of REPS after a warm-up) and the weight upload with verification (SHA-256 of the shard's bytes through WebCrypto, and
// the upload into GPU buffers, overlapped as the client overlaps them). Random weights, made in the page. Usage: node bench/block-bench.mjs [REPS=3] [KERNEL.wgsl]
// (run from clients/js, after `npm ci` in test/). Prints one line per model.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";

const require = createRequire(new URL("../test/package.json", import.meta.url));
const puppeteer = (await import(require.resolve("puppeteer-core"))).default;
const reps = Number(process.argv[2] ?? 3);
const kernelFile = process.argv[3] ?? "";  // e.g. matmul.wgsl: force that product kernel
const root = new URL("../", import.meta.url);
const kernels = new URL("../../../src/SplitCompute.WebGpu/Kernels/", import.meta.url);

const page = `<!doctype html><meta charset="utf-8"><pre id="out"></pre><script type="module">
import { WebGpuTail, KERNEL_FILES } from "/src/index.js";
const out = document.getElementById("out");
const T = 128, REPS = ${reps};
const adapter = await navigator.gpu.requestAdapter();
const device = await adapter.requestDevice({ requiredLimits: { maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize, maxBufferSize: adapter.limits.maxBufferSize } });
const kernels = Object.fromEntries(await Promise.all(KERNEL_FILES.map(async (f) => [f, await (await fetch("/kernels/" + f)).text()])));
const lines = [];
for (const [name, c, heads] of [["gpt2", 768, 12], ["gpt2-xl", 1600, 25]]) {
  const shapes = { "ln_1.weight": [c], "ln_1.bias": [c], "attn.c_attn.weight": [c, 3 * c], "attn.c_attn.bias": [3 * c], "attn.c_proj.weight": [c, c],
    "attn.c_proj.bias": [c], "ln_2.weight": [c], "ln_2.bias": [c], "mlp.c_fc.weight": [c, 4 * c], "mlp.c_fc.bias": [4 * c],
    "mlp.c_proj.weight": [4 * c, c], "mlp.c_proj.bias": [c] };
  const tensors = new Map();
  let seed = 1;
  const random = (n, scale, offset) => { const a = new Float32Array(n); for (let i = 0; i < n; i++) { seed = (seed * 1103515245 + 12345) >>> 0; a[i] = offset + scale * (seed / 4294967296 - 0.5); } return a; };
  let bytes = 0;
  for (const [t, shape] of Object.entries(shapes)) {
    const n = shape.reduce((a, d) => a * d, 1);
    tensors.set("h.0." + t, { shape, data: random(n, t.includes("ln_") && t.endsWith("weight") ? 0.2 : 0.04, t.includes("ln_") && t.endsWith("weight") ? 1 : 0) });
    bytes += 4 * n;
  }
  tensors.set("ln_f.weight", { shape: [c], data: random(c, 0.2, 1) });
  tensors.set("ln_f.bias", { shape: [c], data: random(c, 0.04, 0) });
  const manifest = { family: "gpt2", n_layer: 1, n_embd: c, n_head: heads, layer_norm_epsilon: 1e-5, shards: [{ layer: 0 }] };
  const shard = new Uint8Array(bytes);
  new WebGpuTail(device, kernels, manifest, tensors, { matmulFile: "${kernelFile}" || undefined }).destroy();  // compiles the kernels once, as a page does once per device
  await device.queue.onSubmittedWorkDone();
  const uploadStart = performance.now();
  // As the client does (client.js runTail): the shard's SHA-256 check runs while its tensors upload; both are waited for.
  const verified = crypto.subtle.digest("SHA-256", shard);
  const tail = new WebGpuTail(device, kernels, manifest, tensors, { matmulFile: "${kernelFile}" || undefined });  // the upload into GPU buffers
  await Promise.all([verified, device.queue.onSubmittedWorkDone()]);
  const uploadMs = performance.now() - uploadStart;
  const hashStart = performance.now();
  await crypto.subtle.digest("SHA-256", shard);
  const hashMs = performance.now() - hashStart;                        // the check alone, for the reading
  const hidden = random(T * c, 1, 0);
  await tail.run(hidden, [1, T, c], [T]);                              // warm-up: pipelines compile
  const times = [];
  for (let r = 0; r < REPS; r++) { const s = performance.now(); await tail.run(hidden, [1, T, c], [T]); times.push(performance.now() - s); }
  times.sort((a, b) => a - b);
  const flops = 24 * T * c * c;
  const ms = times[Math.floor(REPS / 2)];
  lines.push({ hashMs, model: name, blockMs: ms, gflops: flops / ms / 1e6, uploadMs, shardMB: bytes / 1e6, adapter: (adapter.info.vendor + " " + adapter.info.architecture).trim(), kernel: tail.matmulFile });
  tail.destroy();
}
out.textContent = JSON.stringify(lines);
out.dataset.done = "1";
</script>`;

const server = createServer(async (req, res) => {
  try {
    const url = new URL(req.url, "http://localhost");
    let body, type = "text/javascript";
    if (url.pathname === "/") { body = page; type = "text/html"; }
    else if (url.pathname.startsWith("/src/")) body = await readFile(new URL("." + url.pathname, root));
    else if (url.pathname.startsWith("/kernels/")) { body = await readFile(new URL(url.pathname.slice(9), kernels)); type = "text/plain"; }
    else { res.writeHead(404).end(); return; }
    res.writeHead(200, { "Content-Type": type }).end(body);
  } catch { res.writeHead(404).end(); }
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const browser = await puppeteer.launch({
  executablePath: process.env.SPLITCOMPUTE_CHROMIUM || "/usr/bin/chromium",
  args: ["--headless=new", "--no-sandbox", "--enable-unsafe-webgpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-quic"],
  userDataDir: mkdtempSync(join(tmpdir(), "splitcompute-bench-")),
});
try {
  const tab = await browser.newPage();
  const logs = [];
  tab.on("console", (m) => logs.push(m.text()));
  tab.on("pageerror", (e) => logs.push(e.message));
  await tab.goto(`http://127.0.0.1:${server.address().port}/`);
  await tab.waitForSelector('#out[data-done="1"]', { timeout: 1_800_000 }).catch((e) => { throw new Error(`${e.message}; page said: ${logs.join(" | ")}`); });
  for (const l of JSON.parse(await tab.$eval("#out", (e) => e.textContent)))
    console.log(`${l.model.padEnd(8)} T=128  block ${l.blockMs.toFixed(1).padStart(9)} ms  ${l.gflops.toFixed(2).padStart(6)} GFLOP/s  upload+verify ${l.uploadMs.toFixed(1).padStart(8)} ms (${l.shardMB.toFixed(1)} MB)  (SHA-256 alone ${l.hashMs.toFixed(1)} ms)  kernel ${l.kernel}  adapter ${l.adapter}`);
} finally {
  await browser.close();
  server.close();
}
