/**
 * A field path compiled once: `source.ip` reads the literal key "source.ip" when the event
 * has one (flattened logs), else walks nested objects. Compiling splits the path once rather
 * than per event.
 */
export class FieldPath {
  readonly path: string;
  private readonly segments: readonly string[];

  constructor(path: string) {
    this.path = path;
    this.segments = path.split('.');
  }

  read(event: Record<string, unknown>): unknown {
    const literal = event[this.path];
    if (literal !== undefined || this.segments.length === 1) return literal;
    let node: unknown = event;
    for (const segment of this.segments) {
      if (node === null || typeof node !== 'object' || Array.isArray(node)) return undefined;
      node = (node as Record<string, unknown>)[segment];
    }
    return node;
  }
}
