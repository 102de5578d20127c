// @ts-check
import { ProtocolError } from "./protocol-error.js";

/**
 * A manifest's shards for this client: downloaded from the gateway that sent the manifest (origin-relative URLs only), checked
 * against their size and SHA-256 (WebCrypto) before use, and kept by hash so a shard is downloaded once. In memory; a
 * persistent cache (Cache Storage, OPFS) is issue 24's next part.
 */
export class ShardCache {
  constructor() {
    /** @type {Map<string, ArrayBuffer>} */
    this.byHash = new Map();
  }

  /** @param {string} sha256 */
  has(sha256) {
    return this.byHash.has(sha256);
  }

  /** Held hashes, for X-SplitCompute-Shards. */
  hashes() {
    return [...this.byHash.keys()];
  }

  /**
   * The bytes of one manifest entry: from the cache, or downloaded and verified.
   * @param {{ url: string, sha256: string, bytes: number }} entry
   * @param {string} field names the entry in errors, e.g. "manifest.shards[2]"
   * @param {URL} gateway
   * @param {typeof fetch} fetch
   * @param {Record<string, string>} headers
   * @param {(bytes: number) => void} [onBytes] called as bytes arrive
   * @returns {Promise<ArrayBuffer>}
   */
  async get(entry, field, gateway, fetch, headers, onBytes) {
    const cached = this.byHash.get(entry.sha256);
    if (cached) return cached;
    if (typeof entry.url !== "string" || !entry.url.startsWith("/") || entry.url.startsWith("//") || /[\s\\]/.test(entry.url))
      throw new ProtocolError(`${field}.url`, `expected an origin-relative path, found ${JSON.stringify(entry.url)}: a manifest never sends this client to another host`);
    const response = await fetch(new URL(entry.url, gateway), { headers });
    if (!response.ok) throw new ProtocolError(`${field}.url`, `GET ${entry.url}: HTTP ${response.status}`);
    const bytes = await readAll(response, entry.bytes, onBytes);
    if (bytes.byteLength !== entry.bytes) throw new ProtocolError(`${field}.bytes`, `expected ${entry.bytes} bytes, downloaded ${bytes.byteLength}`);
    const digest = Array.from(new Uint8Array(await globalThis.crypto.subtle.digest("SHA-256", bytes)), (b) => b.toString(16).padStart(2, "0")).join("");
    if (digest !== entry.sha256) throw new ProtocolError(`${field}.sha256`, `the shard downloaded from ${entry.url} hashes to ${digest}, not ${entry.sha256}: refused`);
    this.byHash.set(entry.sha256, bytes);
    return bytes;
  }
}

/**
 * The body, reporting progress as chunks arrive (and never keeping more than the expected size plus one chunk).
 * @param {Response} response
 * @param {number} expected
 * @param {((bytes: number) => void) | undefined} onBytes
 */
async function readAll(response, expected, onBytes) {
  if (!response.body || !onBytes) return response.arrayBuffer();
  const reader = response.body.getReader();
  const chunks = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    length += value.length;
    onBytes(value.length);
    if (length > expected) break;  // the size check below refuses it
  }
  const all = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    all.set(chunk, at);
    at += chunk.length;
  }
  return all.buffer;
}
