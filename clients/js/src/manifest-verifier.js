// @ts-check
import { ProtocolError } from "./protocol-error.js";

/**
 * Checks a frame's manifest against the gateway's signed one (docs/protocol.md, GET /v1/manifests/{model}/{revision}), as the
 * .NET edge's ManifestVerifier does: the signature is ECDSA P-256 over SHA-256 of the payload's UTF-8 bytes (IEEE P1363, what
 * WebCrypto verifies), with a public key the page pins out of band (GET /v1/keys/manifest publishes it); then the frame's model
 * shape, family, every layer entry and the final norm must equal the signed ones. A signed manifest is fetched once per revision.
 */
export class ManifestVerifier {
  /** @param {CryptoKey} key */
  constructor(key) {
    this.key = key;
    /** @type {Map<string, Promise<any>>} */
    this.signed = new Map();
  }

  /**
   * @param {string} pem SubjectPublicKeyInfo PEM ("-----BEGIN PUBLIC KEY-----"), as GET /v1/keys/manifest publishes it
   */
  static async fromPem(pem) {
    const body = pem.replace(/-----(BEGIN|END) PUBLIC KEY-----/g, "").replace(/\s+/g, "");
    const der = Uint8Array.from(atob(body), (c) => c.charCodeAt(0));
    const key = await globalThis.crypto.subtle.importKey("spki", der, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
    return new ManifestVerifier(key);
  }

  /**
   * Throws a ProtocolError unless every part of the frame's manifest is signed.
   * @param {any} manifest the frame's
   * @param {URL} gateway
   * @param {typeof fetch} fetch
   * @param {Record<string, string>} headers
   */
  async verify(manifest, gateway, fetch, headers) {
    const where = `${manifest.model}@${manifest.revision}`;
    const key = where;
    if (!this.signed.has(key)) this.signed.set(key, this.fetchSigned(manifest.model, manifest.revision, gateway, fetch, headers));
    let signed;
    try {
      signed = await /** @type {Promise<any>} */ (this.signed.get(key));
    } catch (error) {
      this.signed.delete(key);  // a failed fetch is retried next time; a bad signature fails again anyway
      throw error;
    }
    const same = (a, b) => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
    if (signed.model !== manifest.model || signed.revision !== manifest.revision)
      throw new ProtocolError("manifest", `the frame's manifest is for ${where}, the signed one for ${signed.model}@${signed.revision}`);
    for (const field of ["n_layer", "n_embd", "n_head", "layer_norm_epsilon"]) {
      if (signed[field] !== manifest[field]) throw new ProtocolError(`manifest.${field}`, `${where}: ${manifest[field]} is not the signed ${signed[field]}`);
    }
    if ((signed.family ?? "gpt2") !== (manifest.family ?? "gpt2")) throw new ProtocolError("manifest.family", `${where}: not the signed family`);
    for (const entry of manifest.shards) {
      const expected = signed.shards.find((s) => s.layer === entry.layer);
      if (!expected || !same(expected, entry)) throw new ProtocolError("manifest.shards", `${where}: layer ${entry.layer} shard ${entry.sha256} is not in the signed manifest`);
    }
    if (!same(signed.final_norm ?? null, manifest.final_norm ?? null)) throw new ProtocolError("manifest.final_norm", `${where}: the final norm shard is not the signed one`);
  }

  /** @returns {Promise<any>} the signed manifest, its signature checked */
  async fetchSigned(model, revision, gateway, fetch, headers) {
    const url = new URL(`/v1/manifests/${encodeURIComponent(model)}/${encodeURIComponent(revision)}`, gateway);
    const response = await fetch(url, { headers });
    if (!response.ok) throw new ProtocolError("manifest", `GET ${url.pathname}: HTTP ${response.status}`);
    const envelope = await response.json();
    if (envelope?.alg !== "ES256" || typeof envelope.payload !== "string" || typeof envelope.signature !== "string")
      throw new ProtocolError("manifest", `GET ${url.pathname}: not an ES256 signed manifest`);
    const signature = Uint8Array.from(atob(envelope.signature), (c) => c.charCodeAt(0));
    const ok = await globalThis.crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, this.key, signature, new TextEncoder().encode(envelope.payload));
    if (!ok) throw new ProtocolError("manifest.signature", `${model}@${revision}: the signature does not verify with the pinned key`);
    return JSON.parse(envelope.payload);
  }
}

/** A manifest entry with its keys sorted, so two equal entries compare equal as JSON whatever their key order. */
function canonical(value) {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(Object.keys(value).sort().filter((k) => value[k] !== null && value[k] !== undefined).map((k) => [k, canonical(value[k])]));
}
