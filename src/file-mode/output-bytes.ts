/**
 * A growing byte buffer for one chunk's output. Writing each piece as UTF-8 straight into it
 * costs about a fifth of building the chunk's output as one string and encoding that: a string
 * built by concatenation is a tree that the encoder has to flatten first.
 */
export class OutputBytes {
  private buf: Buffer;
  private at = 0;

  /** Writes into `spare` (a buffer nothing else uses any more) when it holds `initialBytes`. */
  constructor(initialBytes: number, spare?: ArrayBuffer) {
    // Not from Buffer's shared pool: the bytes are handed over whole (to another thread).
    this.buf = spare !== undefined && spare.byteLength >= initialBytes ? Buffer.from(spare) : Buffer.allocUnsafeSlow(Math.max(initialBytes, 1024));
  }

  /** Appends `text` as UTF-8. */
  text(text: string): void {
    // A UTF-16 code unit takes at most 3 bytes in UTF-8.
    this.reserve(text.length * 3);
    this.at += this.buf.write(text, this.at, 'utf8');
  }

  /** Appends the text of a non-empty JSON object with its closing brace made a comma, for more fields. */
  continueObject(json: string): void {
    this.text(json);
    // "}" is one byte in UTF-8.
    this.buf[this.at - 1] = 0x2c;
  }

  bytes(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buf.set(bytes, this.at);
    this.at += bytes.length;
  }

  /** The bytes written: a view on a buffer of their own, which this object no longer touches. */
  take(): Uint8Array {
    const out = this.buf.subarray(0, this.at);
    this.buf = Buffer.allocUnsafeSlow(1024);
    this.at = 0;
    return out;
  }

  private reserve(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, this.at + n));
    this.buf.copy(grown, 0, 0, this.at);
    this.buf = grown;
  }
}
