// A page on another origin (SPLITCOMPUTE_PAGE_PORT, served here) that imports the client from the gateway (SPLITCOMPUTE_GATEWAY)
// and embeds with an API key (SPLITCOMPUTE_API_KEY) at a forced split (SPLITCOMPUTE_SPLIT), in Debian's headless Chromium with
// WebGPU: what a web developer does with a gateway that lists the page's origin in Gateway:CorsAllowedOrigins.
// Prints the page's result (or its error and the browser's log) as JSON.
import { createServer } from "node:http";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import puppeteer from "puppeteer-core";

const env = process.env;
const gateway = new URL(env.SPLITCOMPUTE_GATEWAY).origin;
const texts = JSON.parse(env.SPLITCOMPUTE_INPUT);
const page = `<!doctype html><meta charset="utf-8"><pre id="result"></pre><script type="module">
const out = document.getElementById("result");
try {
  const { SplitComputeClient, describeAdapter, requestTailDevice } = await import(${JSON.stringify(gateway + "/client/index.js")});
  const adapter = await navigator.gpu.requestAdapter();
  const device = await requestTailDevice(adapter);
  const client = await SplitComputeClient.connect(${JSON.stringify(gateway)}, {
    apiKey: ${JSON.stringify(env.SPLITCOMPUTE_API_KEY)}, device,
    capabilities: { ...describeAdapter(adapter), perf: { gflops: 5000 }, network: { downlinkMbps: 10000, rttMs: 1 } },
  });
  const result = await client.embed(${JSON.stringify(texts)}, { split: ${JSON.stringify(env.SPLITCOMPUTE_SPLIT ?? "auto")} === "auto" ? "auto" : Number(${JSON.stringify(env.SPLITCOMPUTE_SPLIT ?? "auto")}) });
  out.textContent = JSON.stringify({ path: result.path, k: result.k, embeddings: result.embeddings, warnings: result.warnings, feedback: result.feedback, origin: location.origin });
} catch (error) {
  out.textContent = JSON.stringify({ error: { message: String(error?.message ?? error) } });
}
out.dataset.done = "1";
</script>`;
const server = createServer((req, res) => res.writeHead(200, { "Content-Type": "text/html" }).end(page));
await new Promise((resolve) => server.listen(Number(env.SPLITCOMPUTE_PAGE_PORT), "127.0.0.1", resolve));
const browser = await puppeteer.launch({
  executablePath: env.SPLITCOMPUTE_CHROMIUM || "/usr/bin/chromium",
  args: ["--headless=new", "--no-sandbox", "--enable-unsafe-webgpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-quic"],
  userDataDir: mkdtempSync(join(tmpdir(), "splitcompute-chromium-")),
});
const logs = [];
try {
  const tab = await browser.newPage();
  tab.on("console", (m) => logs.push(`${m.type()}: ${m.text()}`));
  tab.on("pageerror", (e) => logs.push(`pageerror: ${e.message}`));
  await tab.goto(`http://127.0.0.1:${env.SPLITCOMPUTE_PAGE_PORT}/`);
  await tab.waitForSelector('#result[data-done="1"]', { timeout: 240_000 });
  console.log(JSON.stringify({ ...JSON.parse(await tab.$eval("#result", (e) => e.textContent)), logs }));
} catch (error) {
  console.log(JSON.stringify({ error: { message: error.message }, logs }));
} finally {
  await browser.close();
  server.close();
}
