// @ts-check
import { ProtocolError } from "./protocol-error.js";

/**
 * One embedding per sequence from a finished (B, T, C) hidden state, as the worker's Pooler does: mean (summed in double, then
 * divided), last valid position, position 0 (cls), or the per-channel maximum; mean and max skip the first poolFrom positions.
 * @param {Float32Array} data (B, T, C) row-major
 * @param {number[]} shape [B, T, C]
 * @param {number[]} lengths valid positions per sequence
 * @param {"mean" | "last" | "cls" | "max"} pooling
 * @param {number} [poolFrom]
 * @returns {Float32Array[]}
 */
export function pool(data, shape, lengths, pooling, poolFrom = 0) {
  const [b, t, c] = shape;
  const out = [];
  for (let s = 0; s < b; s++) {
    const row = (p) => data.subarray((s * t + p) * c, (s * t + p + 1) * c);
    if (pooling === "last") out.push(Float32Array.from(row(lengths[s] - 1)));
    else if (pooling === "cls") out.push(Float32Array.from(row(0)));
    else if (pooling === "max") {
      const v = new Float32Array(c).fill(-Infinity);
      for (let p = poolFrom; p < lengths[s]; p++) {
        const r = row(p);
        for (let i = 0; i < c; i++) if (r[i] > v[i]) v[i] = r[i];
      }
      out.push(v);
    } else {
      const sum = new Float64Array(c);
      for (let p = poolFrom; p < lengths[s]; p++) {
        const r = row(p);
        for (let i = 0; i < c; i++) sum[i] += r[i];
      }
      const count = lengths[s] - poolFrom;
      out.push(Float32Array.from(sum, (v) => (count > 0 ? v / count : 0)));
    }
  }
  return out;
}

/**
 * X-SplitCompute-Shaping (docs/protocol.md): "dimensions=32; normalize=true". Unknown or repeated members are refused.
 * @param {string | null} header
 * @returns {{ dimensions: number | null, normalize: boolean }}
 */
export function parseShaping(header) {
  if (header === null) throw new ProtocolError("X-SplitCompute-Shaping", "missing: every frame answer carries it");
  /** @type {{ dimensions: number | null, normalize: boolean | null }} */
  const shaping = { dimensions: null, normalize: null };
  for (const part of header.split(";")) {
    const [name, value, extra] = part.trim().split("=");
    if (extra !== undefined || value === undefined) throw new ProtocolError("X-SplitCompute-Shaping", `malformed member ${JSON.stringify(part.trim())}`);
    if (name === "dimensions" && shaping.dimensions === null && /^[1-9][0-9]{0,5}$/.test(value)) shaping.dimensions = Number(value);
    else if (name === "normalize" && shaping.normalize === null && (value === "true" || value === "false")) shaping.normalize = value === "true";
    else throw new ProtocolError("X-SplitCompute-Shaping", `unknown, repeated or malformed member ${JSON.stringify(part.trim())}`);
  }
  if (shaping.normalize === null) throw new ProtocolError("X-SplitCompute-Shaping", "normalize is required");
  return { dimensions: shaping.dimensions, normalize: shaping.normalize };
}

/**
 * What the request's dimensions and normalize ask of pooled embeddings: keep the first dimensions values, then scale to unit length.
 * @param {Float32Array[]} vectors
 * @param {{ dimensions: number | null, normalize: boolean }} shaping
 * @returns {number[][]}
 */
export function shape(vectors, shaping) {
  return vectors.map((v) => {
    const cut = shaping.dimensions === null ? Array.from(v) : Array.from(v.subarray(0, shaping.dimensions));
    if (!shaping.normalize) return cut;
    let norm = 0;
    for (const x of cut) norm += x * x;
    norm = Math.sqrt(norm);
    return norm > 0 ? cut.map((x) => x / norm) : cut;
  });
}
