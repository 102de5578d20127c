// The gateway's /demo page in Debian's headless Chromium (puppeteer-core): SPLITCOMPUTE_GATEWAY, SPLITCOMPUTE_INPUT (JSON array
// of texts), SPLITCOMPUTE_SPLIT (auto, none or k), SPLITCOMPUTE_WEBGPU=0 (start Chromium without WebGPU), SPLITCOMPUTE_PROFILE (a
// user-data directory to keep between runs: the page's cache survives a reload), SPLITCOMPUTE_SCREENSHOT (a PNG path),
// SPLITCOMPUTE_SPOIL_CACHE=1 (flip a byte of every shard the profile's Cache Storage holds before the page runs).
// The page embeds on load and writes its result into #result; this prints it, with what the browser logged, as JSON.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import puppeteer from "puppeteer-core";

const env = process.env;
const texts = JSON.parse(env.SPLITCOMPUTE_INPUT);
const url = new URL(`/demo/?texts=${encodeURIComponent(texts.join("|"))}&split=${encodeURIComponent(env.SPLITCOMPUTE_SPLIT ?? "auto")}&run=1`, env.SPLITCOMPUTE_GATEWAY);
const args = ["--headless=new", "--no-sandbox", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic"];
if (env.SPLITCOMPUTE_WEBGPU !== "0") args.push("--enable-unsafe-webgpu");
const browser = await puppeteer.launch({
  executablePath: env.SPLITCOMPUTE_CHROMIUM || "/usr/bin/chromium",
  args,
  userDataDir: env.SPLITCOMPUTE_PROFILE || mkdtempSync(join(tmpdir(), "splitcompute-chromium-")),
  defaultViewport: { width: 1280, height: 1100 },
});
const logs = [];
try {
  const page = await browser.newPage();
  page.on("console", (m) => logs.push(`${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => logs.push(`pageerror: ${e.message}`));
  if (env.SPLITCOMPUTE_SPOIL_CACHE === "1") {
    await page.goto(new URL("/demo/", env.SPLITCOMPUTE_GATEWAY).href, { waitUntil: "load" });  // the gateway's origin, whose cache it is
    logs.push(`spoiled: ${await page.evaluate(async () => {
      const cache = await caches.open("splitcompute-shards");
      let spoiled = 0;
      for (const request of await cache.keys()) {
        const bytes = new Uint8Array(await (await cache.match(request)).arrayBuffer());
        bytes[bytes.length >> 1] ^= 0xff;
        await cache.put(request, new Response(bytes));
        spoiled++;
      }
      return spoiled;
    })} stored shards`);
  }
  await page.goto(url.href, { waitUntil: "load" });
  await page.waitForSelector('#result[data-done="1"]', { timeout: 240_000 });
  const result = JSON.parse(await page.$eval("#result", (e) => e.textContent));
  if (env.SPLITCOMPUTE_SCREENSHOT) await page.screenshot({ path: env.SPLITCOMPUTE_SCREENSHOT, fullPage: true });
  console.log(JSON.stringify({ ...result, logs }));
} catch (error) {
  console.log(JSON.stringify({ error: { message: error.message }, logs }));
} finally {
  await browser.close();
}
