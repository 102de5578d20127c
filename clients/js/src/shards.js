// @ts-check
import { ProtocolError } from "./protocol-error.js";

const HASH_KEY = /\/([0-9a-f]{64})$/;

/**
 * A manifest's shards for this client: downloaded from the gateway that sent the manifest (origin-relative URLs only), checked
 * against their size and SHA-256 (WebCrypto) before use, and kept by hash so a shard is downloaded once. In memory for the
 * page's life, and, where the browser has Cache Storage (`ShardCache.open()`), across reloads: a stored shard is checked again
 * when read (a corrupted entry is dropped and downloaded afresh), and the least recently used are evicted beyond `maxBytes`.
 */
export class ShardCache {
  /**
   * @param {Cache | null} [storage] a Cache Storage cache, or none (memory only)
   * @param {string[]} [stored] the hashes it holds, oldest first
   * @param {number} [maxBytes] most bytes kept in storage (default 2 GiB)
   */
  constructor(storage = null, stored = [], maxBytes = 2 ** 31) {
    /** @type {Map<string, ArrayBuffer>} */
    this.byHash = new Map();
    this.storage = storage;
    /** @type {Map<string, number>} stored hash -> bytes, least recently used first */
    this.stored = new Map(stored.map((h) => [h, 0]));
    this.maxBytes = maxBytes;
  }

  /**
   * The persistent cache where the browser has Cache Storage, else a memory one.
   * @param {string} [name]
   */
  static async open(name = "splitcompute-shards") {
    if (!globalThis.caches) return new ShardCache();
    const storage = await globalThis.caches.open(name);
    const stored = (await storage.keys()).map((r) => r.url.match(HASH_KEY)?.[1]).filter((h) => h !== undefined);
    return new ShardCache(storage, /** @type {string[]} */ (stored));
  }

  /** @param {string} sha256 */
  has(sha256) {
    return this.byHash.has(sha256) || this.stored.has(sha256);
  }

  /** Held hashes, for X-SplitCompute-Shards. */
  hashes() {
    return [...new Set([...this.byHash.keys(), ...this.stored.keys()])];
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
    const { bytes, verified } = await this.load(entry, field, gateway, fetch, headers, onBytes);
    if (!(await verified)) return this.get(entry, field, gateway, fetch, headers, onBytes);  // a stored copy went bad: downloaded afresh
    return bytes;
  }

  /**
   * The bytes of one manifest entry before their SHA-256 is known, and the check running beside whatever the caller does with
   * them (the tail uploads them meanwhile, so hashing and uploading overlap; nothing may be computed from them before `verified`).
   * `verified` resolves true when the bytes match, false when a stored copy no longer does (it is dropped: load again to download
   * it), and rejects with a ProtocolError when a download does not (refused, as before).
   * @param {{ url: string, sha256: string, bytes: number }} entry
   * @param {string} field
   * @param {URL} gateway
   * @param {typeof fetch} fetch
   * @param {Record<string, string>} headers
   * @param {(bytes: number) => void} [onBytes]
   * @returns {Promise<{ bytes: ArrayBuffer, verified: Promise<boolean> }>}
   */
  async load(entry, field, gateway, fetch, headers, onBytes) {
    const cached = this.byHash.get(entry.sha256);
    if (cached) return { bytes: cached, verified: Promise.resolve(true) };  // checked when it arrived
    const kept = await this.fromStorage(entry);
    if (kept) return kept;
    if (typeof entry.url !== "string" || !entry.url.startsWith("/") || entry.url.startsWith("//") || /[\s\\]/.test(entry.url))
      throw new ProtocolError(`${field}.url`, `expected an origin-relative path, found ${JSON.stringify(entry.url)}: a manifest never sends this client to another host`);
    const bytes = await download(fetch, new URL(entry.url, gateway), headers, entry, field, onBytes);
    if (bytes.byteLength !== entry.bytes) throw new ProtocolError(`${field}.bytes`, `expected ${entry.bytes} bytes, downloaded ${bytes.byteLength}`);
    const verified = sha256(bytes).then(async (digest) => {
      if (digest !== entry.sha256) throw new ProtocolError(`${field}.sha256`, `the shard downloaded from ${entry.url} hashes to ${digest}, not ${entry.sha256}: refused`);
      this.byHash.set(entry.sha256, bytes);
      await this.store(entry.sha256, bytes);
      return true;
    });
    verified.catch(() => {});  // a caller that fails first (and never awaits it) leaves no unhandled rejection
    return { bytes, verified };
  }

  /**
   * A stored shard with its check under way; null (and the entry dropped) when it is missing or has another size. When the
   * check fails the entry is dropped and `verified` resolves false.
   * @param {{ sha256: string, bytes: number }} entry
   * @returns {Promise<{ bytes: ArrayBuffer, verified: Promise<boolean> } | null>}
   */
  async fromStorage(entry) {
    if (this.storage === null || !this.stored.has(entry.sha256)) return null;
    const response = await this.storage.match(key(entry.sha256));
    const bytes = response ? await response.arrayBuffer() : null;
    if (bytes === null || bytes.byteLength !== entry.bytes) {
      await this.drop(entry.sha256);
      return null;
    }
    const verified = sha256(bytes).then(async (digest) => {
      if (digest !== entry.sha256) {
        await this.drop(entry.sha256);
        return false;
      }
      this.stored.delete(entry.sha256);  // most recently used last
      this.stored.set(entry.sha256, bytes.byteLength);
      this.byHash.set(entry.sha256, bytes);
      return true;
    });
    return { bytes, verified };
  }

  /** @param {string} hash */
  async drop(hash) {
    this.stored.delete(hash);
    this.byHash.delete(hash);
    if (this.storage !== null) await this.storage.delete(key(hash));
  }

  /** Keeps a verified shard in storage, evicting the least recently used beyond maxBytes. */
  async store(hash, bytes) {
    if (this.storage === null) return;
    await this.storage.put(key(hash), new Response(bytes, { headers: { "Content-Type": "application/octet-stream" } }));
    this.stored.delete(hash);
    this.stored.set(hash, bytes.byteLength);
    let total = [...this.stored.values()].reduce((a, b) => a + b, 0);
    for (const [old, size] of this.stored) {
      if (total <= this.maxBytes || old === hash) break;
      await this.storage.delete(key(old));
      this.stored.delete(old);
      total -= size;
    }
  }
}

/** Attempts at one shard: the first, then resumes of what an interrupted one left. */
const ATTEMPTS = 3;

/**
 * Downloads a shard, resuming an interrupted transfer where it stopped (`Range: bytes=<have>-` with `If-Range: "<sha256>"`, the
 * shard's ETag): a 206 continues the bytes kept, a 200 is the whole file again (the partial one is dropped), as the .NET edge's
 * cache does. The caller checks the size and hash of what comes back.
 * @param {typeof fetch} fetch
 * @param {URL} url
 * @param {Record<string, string>} headers
 * @param {{ sha256: string, bytes: number, url: string }} entry
 * @param {string} field
 * @param {((bytes: number) => void) | undefined} onBytes
 * @returns {Promise<ArrayBuffer>}
 */
async function download(fetch, url, headers, entry, field, onBytes) {
  let have = new Uint8Array(0);
  let problem = "";
  for (let attempt = 0; attempt < ATTEMPTS && have.length < entry.bytes; attempt++) {
    const resume = have.length > 0 ? { Range: `bytes=${have.length}-`, "If-Range": `"${entry.sha256}"` } : {};
    let response;
    try {
      response = await fetch(url, { headers: { ...headers, ...resume } });
    } catch (error) {
      problem = /** @type {Error} */ (error).message;
      continue;
    }
    if (response.status === 200) have = new Uint8Array(0);
    else if (!(response.status === 206 && have.length > 0)) throw new ProtocolError(`${field}.url`, `GET ${entry.url}: HTTP ${response.status}`);
    const part = await readSome(response, entry.bytes - have.length, onBytes);
    have = concat([have, part.bytes]);
    problem = part.error ?? "";
  }
  if (have.length < entry.bytes && problem) throw new ProtocolError(`${field}.url`, `GET ${entry.url}: ${problem} after ${have.length} of ${entry.bytes} bytes`);
  return have.buffer;
}

/**
 * What a body delivers before it ends or breaks, reporting progress (and never keeping more than the expected size plus a chunk).
 * @param {Response} response
 * @param {number} expected
 * @param {((bytes: number) => void) | undefined} onBytes
 * @returns {Promise<{ bytes: Uint8Array, error: string | null }>}
 */
async function readSome(response, expected, onBytes) {
  if (!response.body) return { bytes: new Uint8Array(await response.arrayBuffer()), error: null };
  const reader = response.body.getReader();
  const chunks = [];
  let length = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      length += value.length;
      onBytes?.(value.length);
      if (length > expected) break;  // the size check refuses it
    }
  } catch (error) {
    return { bytes: concat(chunks), error: /** @type {Error} */ (error).message };
  }
  return { bytes: concat(chunks), error: null };
}

/** @param {Uint8Array[]} parts */
function concat(parts) {
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    all.set(part, at);
    at += part.length;
  }
  return all;
}

/** The cache key of a shard: a same-origin-looking URL per hash (Cache Storage keys are requests). */
function key(hash) {
  return new Request(`https://splitcompute.invalid/shards/${hash}`);
}

/** @param {ArrayBuffer} bytes */
async function sha256(bytes) {
  return Array.from(new Uint8Array(await globalThis.crypto.subtle.digest("SHA-256", bytes)), (b) => b.toString(16).padStart(2, "0")).join("");
}
