// @ts-check
import { ProtocolError } from "./protocol-error.js";

/**
 * JSON.parse plus the two rules a frame header adds (docs/protocol.md 1.4): no duplicate keys (languages disagree on which one
 * wins) and nesting depth <= maxDepth. JSON.parse itself checks the syntax; a scan over the same text finds duplicates.
 * @param {string} text
 * @param {number} offset where the text starts in the frame, for messages
 * @param {number} [maxDepth]
 * @returns {any}
 */
export function parseStrictJson(text, offset, maxDepth = 16) {
  let value;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ProtocolError("header", `header is not valid JSON: ${/** @type {Error} */ (error).message}`, offset);
  }
  scan(text, offset, maxDepth);
  return value;
}

/**
 * Walks syntactically valid JSON, tracking each object's keys and the depth.
 * @param {string} text
 * @param {number} offset
 * @param {number} maxDepth
 */
function scan(text, offset, maxDepth) {
  /** @type {{ keys: Set<string> | null, expectKey: boolean }[]} */
  const stack = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "{" || c === "[") {
      stack.push({ keys: c === "{" ? new Set() : null, expectKey: c === "{" });
      if (stack.length > maxDepth) throw new ProtocolError("header", `nesting deeper than ${maxDepth}`, offset + i);
    } else if (c === "}" || c === "]") {
      stack.pop();
    } else if (c === ",") {
      const top = stack[stack.length - 1];
      if (top && top.keys) top.expectKey = true;
    } else if (c === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === "\\" ? 2 : 1;
      const top = stack[stack.length - 1];
      if (top && top.keys && top.expectKey) {
        const key = JSON.parse(text.slice(i, end + 1));
        if (top.keys.has(key)) throw new ProtocolError("header", `duplicate key "${key}"`, offset + i);
        top.keys.add(key);
        top.expectKey = false;
      }
      i = end;
    }
  }
}
