// @ts-check
import { ProtocolError } from "./protocol-error.js";
import { parseStrictJson } from "./strict-json.js";

/** The C# reader's default limits (FrameLimits), docs/protocol.md 1.4. */
export const DEFAULT_LIMITS = Object.freeze({
  maxHeaderBytes: 1 << 20,
  maxPayloadBytes: 512 * (1 << 20),
  maxBatchSize: 4096,
  maxSequenceLength: 65536,
  maxChannels: 65536,
  maxLayers: 1024,
});

const POOLINGS = ["mean", "last", "cls", "max"];
const MAX_REQUEST_ID = 128;
const MAX_IDENTIFIER = 256;

/**
 * @typedef {object} Frame
 * @property {"hidden" | "embeddings"} kind
 * @property {string} model
 * @property {string} revision
 * @property {number} k layers done
 * @property {number} n the model's layers
 * @property {"f32" | "f16"} dtype
 * @property {number[]} shape [B, T, C] (hidden) or [B, C] (embeddings)
 * @property {number[]} lengths valid tokens per sequence
 * @property {"mean" | "last" | "cls" | "max"} pooling
 * @property {number} poolFrom leading positions pooling leaves out (hidden frames)
 * @property {string | null} requestId
 * @property {any} manifest the shard manifest for layers [k, n) (hidden frames), else null
 * @property {Float32Array} data row-major payload, f16 widened to f32
 */

/**
 * Reads a hidden-state (or finished-embeddings) frame, checking every rule of docs/protocol.md 1.4 in the C# reader's order; any
 * break is a ProtocolError naming the field and the byte offset.
 * @param {ArrayBuffer | Uint8Array} input
 * @param {Partial<typeof DEFAULT_LIMITS>} [limitsOverride]
 * @returns {Frame}
 */
export function readFrame(input, limitsOverride) {
  const limits = { ...DEFAULT_LIMITS, ...limitsOverride };
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  if (bytes.length < 16) throw new ProtocolError("prefix", `expected at least 16 bytes, found ${bytes.length}`, 0);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes[0] !== 0x53 || bytes[1] !== 0x43 || bytes[2] !== 0x48 || bytes[3] !== 0x46)
    throw new ProtocolError("magic", `expected "SCHF", found bytes ${Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, "0")).join(" ")}`, 0);
  const version = view.getUint32(4, true);
  if (version !== 1) throw new ProtocolError("version", `expected 1, found ${version}`, 4);
  const headerLength = view.getBigUint64(8, true);
  if (headerLength === 0n || headerLength % 8n !== 0n || headerLength > BigInt(limits.maxHeaderBytes) || headerLength > BigInt(bytes.length - 16))
    throw new ProtocolError("header_length", `expected a multiple of 8 in [8, ${Math.min(limits.maxHeaderBytes, bytes.length - 16)}], found ${headerLength}`, 8);
  const h = Number(headerLength);
  let text;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(16, 16 + h));
  } catch {
    throw new ProtocolError("header", "header is not valid UTF-8", 16);
  }
  const header = parseStrictJson(text, 16);
  if (header === null || typeof header !== "object" || Array.isArray(header))
    throw new ProtocolError("header", `expected a JSON object, found ${Array.isArray(header) ? "Array" : typeof header}`, 16);
  const frame = checkHeader(header, limits);
  const count = frame.shape.reduce((a, d) => a * d, 1);
  const size = frame.dtype === "f16" ? 2 : 4;
  if (count * size > limits.maxPayloadBytes)
    throw new ProtocolError("shape", `payload of ${frame.shape.join("*")} ${frame.dtype} is ${count * size} bytes, over the ${limits.maxPayloadBytes}-byte limit`, 16);
  const payloadBytes = bytes.length - 16 - h;
  if (payloadBytes !== count * size)
    throw new ProtocolError("payload", `${payloadBytes < count * size ? "truncated" : "trailing bytes"}: expected ${count * size} bytes, found ${payloadBytes}`, 16 + h);
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const at = 16 + h + i * size;
    const v = size === 4 ? view.getFloat32(at, true) : halfToFloat(view.getUint16(at, true));
    if (!Number.isFinite(v)) throw new ProtocolError("payload", `element ${i} is ${v}: every value must be finite`, at);
    data[i] = v;
  }
  return { ...frame, data };
}

/**
 * @param {Record<string, any>} root
 * @param {typeof DEFAULT_LIMITS} limits
 * @returns {Omit<Frame, "data">}
 */
function checkHeader(root, limits) {
  const at = 16;
  const kind = choice(root, "kind", ["hidden", "embeddings"]);
  const model = identifier(root, "model");
  const revision = identifier(root, "revision");
  const k = int(root, "k");
  const n = int(root, "n");
  if (n > limits.maxLayers) throw new ProtocolError("n", `expected at most ${limits.maxLayers} (limit), found ${n}`, at);
  const dtype = choice(root, "dtype", ["f32", "f16"]);
  const shape = intArray(root, "shape", 3);
  const lengths = intArray(root, "lengths", limits.maxBatchSize);
  const pooling = "pooling" in root ? choice(root, "pooling", POOLINGS) : "mean";
  const poolFrom = "pool_from" in root ? int(root, "pool_from") : 0;
  let requestId = null;
  if ("request_id" in root) {
    requestId = root.request_id;
    if (typeof requestId !== "string" || requestId.length === 0 || requestId.length > MAX_REQUEST_ID || !printable(requestId))
      throw new ProtocolError("request_id", `expected 1..${MAX_REQUEST_ID} printable ASCII chars, found ${JSON.stringify(requestId)}`, at);
  }
  if ("mask" in root) throw new ProtocolError("mask", 'explicit masks are not supported in version 1: sequences are right-padded and described by "lengths"', at);
  if (shape.length >= 1 && shape[0] > limits.maxBatchSize) throw new ProtocolError("shape[0]", `B = ${shape[0]} is over the limit of ${limits.maxBatchSize}`, at);
  if (kind === "hidden" && shape.length > 1 && shape[1] > limits.maxSequenceLength) throw new ProtocolError("shape[1]", `T = ${shape[1]} is over the limit of ${limits.maxSequenceLength}`, at);
  if (shape.length >= 1 && shape[shape.length - 1] > limits.maxChannels)
    throw new ProtocolError(`shape[${shape.length - 1}]`, `C = ${shape[shape.length - 1]} is over the limit of ${limits.maxChannels}`, at);

  if (n < 1) throw new ProtocolError("n", `expected >= 1, found ${n}`, at);
  if (k < 0 || k > n) throw new ProtocolError("k", `expected 0 <= k <= n = ${n}, found ${k}`, at);
  if (kind === "embeddings" && k !== n) throw new ProtocolError("k", `an embeddings frame has all layers done: expected k = n = ${n}, found ${k}`, at);
  const rank = kind === "hidden" ? 3 : 2;
  if (shape.length !== rank) throw new ProtocolError("shape", `expected ${rank} dimensions, found ${shape.length}`, at);
  shape.forEach((d, i) => { if (d < 1) throw new ProtocolError(`shape[${i}]`, `expected >= 1, found ${d}`, at); });
  const t = kind === "hidden" ? shape[1] : limits.maxSequenceLength;
  if (lengths.length !== shape[0]) throw new ProtocolError("lengths", `expected one length per sequence: B = ${shape[0]}, found ${lengths.length}`, at);
  lengths.forEach((l, b) => { if (l < 1 || l > t) throw new ProtocolError(`lengths[${b}]`, `expected 1..${t}, found ${l}`, at); });
  if (poolFrom < 0) throw new ProtocolError("pool_from", `expected >= 0, found ${poolFrom}`, at);

  const manifest = "manifest" in root ? root.manifest : null;
  if (kind === "embeddings") {
    if (poolFrom !== 0) throw new ProtocolError("pool_from", "an embeddings frame is pooled already: pool_from must be absent", at);
    if (manifest !== null) throw new ProtocolError("manifest", "an embeddings frame carries no manifest", at);
  } else {
    lengths.forEach((l, b) => {
      if (poolFrom >= l) throw new ProtocolError("pool_from", `sequence ${b} has ${l} positions: pooling from position ${poolFrom} would pool nothing`, at);
    });
    checkManifest(manifest, model, revision, k, n, shape[2], at);
  }
  return { kind, model, revision, k, n, dtype, shape, lengths, pooling, poolFrom, requestId, manifest };
}

/** The manifest rules a frame adds (docs/protocol.md 1.2): it covers exactly layers [k, n) of this model and width. */
function checkManifest(manifest, model, revision, k, n, c, at) {
  if (manifest === null || typeof manifest !== "object" || Array.isArray(manifest))
    throw new ProtocolError("manifest", "a hidden frame must carry the manifest for layers [k, n), found none", at);
  if (manifest.model !== model) throw new ProtocolError("manifest.model", `expected the frame's model ${JSON.stringify(model)}, found ${JSON.stringify(manifest.model)}`, at);
  if (manifest.revision !== revision) throw new ProtocolError("manifest.revision", `expected the frame's revision ${JSON.stringify(revision)}, found ${JSON.stringify(manifest.revision)}`, at);
  if (manifest.n_layer !== n) throw new ProtocolError("manifest.n_layer", `expected n = ${n}, found ${manifest.n_layer}`, at);
  if (manifest.n_embd !== c) throw new ProtocolError("manifest.n_embd", `expected C = ${c}, found ${manifest.n_embd}`, at);
  const shards = Array.isArray(manifest.shards) ? manifest.shards : null;
  if (shards === null) throw new ProtocolError("manifest.shards", "expected an array", at);
  const first = shards.length > 0 ? shards[0].layer : n;
  if (shards.length !== n - k || (k < n && first !== k) || shards.some((s, i) => s.layer !== first + i))
    throw new ProtocolError("manifest.shards", `expected layers [${k}, ${n}), found ${shards.map((s) => s.layer).join(", ") || "none"}`, at);
}

function choice(root, name, values) {
  const value = required(root, name);
  if (!values.includes(value)) throw new ProtocolError(name, `expected ${values.map((v) => JSON.stringify(v)).join(" or ")}, found ${JSON.stringify(value)}`, 16);
  return value;
}

function identifier(root, name) {
  const value = required(root, name);
  if (typeof value !== "string") throw new ProtocolError(name, `expected a string, found ${typeof value}`, 16);
  if (value.length === 0 || value.length > MAX_IDENTIFIER || !printable(value))
    throw new ProtocolError(name, `expected 1..${MAX_IDENTIFIER} printable ASCII chars, found ${JSON.stringify(value)}`, 16);
  return value;
}

function int(root, name) {
  const value = required(root, name);
  if (!Number.isInteger(value) || value < -2147483648 || value > 2147483647) throw new ProtocolError(name, `expected a 32-bit integer, found ${JSON.stringify(value)}`, 16);
  return value;
}

function intArray(root, name, maxCount) {
  const value = required(root, name);
  if (!Array.isArray(value)) throw new ProtocolError(name, `expected an array of integers, found ${typeof value}`, 16);
  if (value.length > maxCount) throw new ProtocolError(name, `expected at most ${maxCount} entries, found ${value.length}`, 16);
  value.forEach((v, i) => { if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647) throw new ProtocolError(`${name}[${i}]`, `expected a 32-bit integer, found ${JSON.stringify(v)}`, 16); });
  return value;
}

function required(root, name) {
  if (!(name in root) || root[name] === null) throw new ProtocolError(name, "required field is missing", 16);
  return root[name];
}

function printable(s) {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

/** IEEE binary16 bits -> number (subnormals and -0 preserved; Inf and NaN come out as such and are refused by the caller). */
export function halfToFloat(bits) {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}
