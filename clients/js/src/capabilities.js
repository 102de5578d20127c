// @ts-check
/**
 * The capability headers of docs/protocol.md 3.1, written as the C# CapabilityHeaderWriter writes them: what the gateway's
 * planner needs to know of this client (adapter, limits, features, measured speed, link, cached shards, power, split preference).
 *
 * @typedef {object} Capabilities
 * @property {{ vendor?: string, architecture?: string, device?: string, backend?: string }} [adapter] GPUAdapter.info and the API
 * @property {{ maxBufferSize?: number, maxStorageBufferBindingSize?: number, maxComputeWorkgroupStorageSize?: number }} [limits] GPUAdapter.limits
 * @property {string[]} [features] GPUAdapter.features
 * @property {{ gflops: number, uploadGbps?: number }} [perf] measured f32 matmul GFLOP/s and upload Gbit/s
 * @property {{ downlinkMbps: number, rttMs?: number }} [network] navigator.connection, or measured
 * @property {string[]} [shards] SHA-256 hashes (or 16+ char prefixes) of the shards this client holds
 * @property {string[]} [resident] those whose weights are on its device now
 * @property {{ onBattery: boolean, saveEnergy: boolean }} [power]
 */

const MAX_STRING = 128;
const FEATURE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const SHARD = /^[0-9a-f]{16,64}$/;

/**
 * @param {Capabilities} caps
 * @param {"auto" | "none" | number} [split] auto (default: no header), none, or a forced k (for tests and demos)
 * @returns {Record<string, string>}
 */
export function capabilityHeaders(caps, split = "auto") {
  /** @type {Record<string, string>} */
  const headers = { "X-SplitCompute-Version": "1" };
  if (caps.adapter) {
    const members = ["vendor", "architecture", "device", "backend"]
      .filter((key) => caps.adapter?.[key])
      .map((key) => `${key}=${quote(String(caps.adapter?.[key]))}`);
    if (members.length > 0) headers["X-SplitCompute-Adapter"] = members.join("; ");
  }
  if (caps.limits) {
    const members = [["max-buffer", caps.limits.maxBufferSize], ["max-storage-binding", caps.limits.maxStorageBufferBindingSize], ["max-workgroup-storage", caps.limits.maxComputeWorkgroupStorageSize]]
      .filter(([, v]) => Number.isSafeInteger(v) && /** @type {number} */ (v) >= 1)
      .map(([k, v]) => `${k}=${v}`);
    if (members.length > 0) headers["X-SplitCompute-Limits"] = members.join(", ");
  }
  const features = [...new Set(caps.features ?? [])].filter((f) => FEATURE.test(f)).slice(0, 64);
  if (features.length > 0) headers["X-SplitCompute-Features"] = features.join(", ");
  if (caps.perf) {
    const members = [number("gflops", caps.perf.gflops, 0, 1e6, true)];
    if (caps.perf.uploadGbps !== undefined) members.push(number("upload-gbps", caps.perf.uploadGbps, 0, 1e4, true));
    headers["X-SplitCompute-Perf"] = members.join(", ");
  }
  if (caps.network) {
    const members = [number("downlink-mbps", caps.network.downlinkMbps, 0, 1e6, true)];
    if (caps.network.rttMs !== undefined) members.push(number("rtt-ms", caps.network.rttMs, 0, 60000, false));
    headers["X-SplitCompute-Network"] = members.join(", ");
  }
  // 16-char prefixes keep 256 entries under 5 KiB (docs/protocol.md 3.1).
  const prefixes = (/** @type {string[]} */ list) => [...new Set(list.filter((s) => SHARD.test(s)).map((s) => s.slice(0, 16)))].slice(0, 256);
  if (caps.shards?.length) headers["X-SplitCompute-Shards"] = prefixes(caps.shards).join(", ");
  if (caps.resident?.length) headers["X-SplitCompute-Resident"] = prefixes(caps.resident).join(", ");
  if (caps.power) headers["X-SplitCompute-Power"] = `source=${caps.power.onBattery ? "battery" : "mains"}, prefer=${caps.power.saveEnergy ? "energy" : "latency"}`;
  if (split === "none") headers["X-SplitCompute-Split"] = "none";
  else if (typeof split === "number") {
    if (!Number.isInteger(split) || split < 0 || split > 1024) throw new RangeError(`split: a forced k must be 0..1024, found ${split}`);
    headers["X-SplitCompute-Split"] = `k=${split}`;
  }
  return headers;
}

/** A quoted string value: printable ASCII only (others dropped), at most 128 chars, '"' and '\' escaped. */
function quote(value) {
  const printable = Array.from(value).filter((ch) => ch >= " " && ch <= "~").join("").slice(0, MAX_STRING);
  return `"${printable.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** A bare number in its range, shortest round-trip form (String(x), as the grammar expects). */
function number(key, value, min, max, exclusiveMin) {
  if (!Number.isFinite(value) || value > max || (exclusiveMin ? value <= min : value < min))
    throw new RangeError(`${key} must be in ${exclusiveMin ? "(" : "["}${min}, ${max}], found ${value}`);
  return `${key}=${String(value)}`;
}

/**
 * A new client id: 32 random lowercase hex chars (128 bits), as the C# edge makes once and keeps (docs/protocol.md 3.1).
 * @returns {string}
 */
export function newClientId() {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * What a GPUAdapter says of itself, as capabilities (adapter, limits, features): navigator.gpu's adapter in a page, or any
 * WebGPU implementation's. The planner still needs perf (a calibration) and network to plan a split.
 * @param {GPUAdapter} adapter
 * @returns {Capabilities}
 */
export function describeAdapter(adapter) {
  const info = adapter.info ?? {};
  return {
    adapter: { vendor: info.vendor || "unknown", architecture: info.architecture || "unknown", device: info.device || info.description || "unknown", backend: "webgpu" },
    limits: {
      maxBufferSize: adapter.limits.maxBufferSize,
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
      maxComputeWorkgroupStorageSize: adapter.limits.maxComputeWorkgroupStorageSize,
    },
    features: [...adapter.features],
  };
}
