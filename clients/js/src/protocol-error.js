// @ts-check
/**
 * A frame, header or answer that breaks docs/protocol.md: names the field, what was expected and, for frames, the byte offset,
 * as the C# reader's ProtocolException does.
 */
export class ProtocolError extends Error {
  /**
   * @param {string} field
   * @param {string} detail
   * @param {number} [offset]
   */
  constructor(field, detail, offset) {
    super(offset === undefined ? `${field}: ${detail}` : `${field} (byte ${offset}): ${detail}`);
    this.name = "ProtocolError";
    this.field = field;
    this.detail = detail;
    this.offset = offset;
  }
}
