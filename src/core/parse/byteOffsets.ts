/**
 * Maps UTF-16 indices (what web-tree-sitter and JavaScript strings use) to UTF-8 byte offsets
 * (what files on disk use). ASCII text maps to itself; other text is measured from checkpoints.
 */
export class ByteOffsets {
  private static readonly STRIDE = 1024;
  private readonly checkpoints: number[] | undefined;

  constructor(private readonly text: string) {
    if (Buffer.byteLength(text, 'utf8') === text.length) return; // ASCII: every index is its byte offset
    const checkpoints = [0];
    for (let start = 0; start + ByteOffsets.STRIDE <= text.length; start += ByteOffsets.STRIDE) {
      checkpoints.push(checkpoints[checkpoints.length - 1]! + utf8Length(text, start, start + ByteOffsets.STRIDE));
    }
    this.checkpoints = checkpoints;
  }

  byteAt(index: number): number {
    if (!this.checkpoints) return index;
    const slot = Math.floor(index / ByteOffsets.STRIDE);
    const base = slot * ByteOffsets.STRIDE;
    return this.checkpoints[slot]! + utf8Length(this.text, base, index);
  }
}

/** UTF-8 length of text[start, end), counting a surrogate pair as the 4 bytes it encodes to. */
function utf8Length(text: string, start: number, end: number): number {
  let bytes = 0;
  for (let i = start; i < end; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff) bytes += 2; // high surrogate: its pair is 4 bytes in all
    else if (code >= 0xdc00 && code <= 0xdfff) bytes += 2;
    else bytes += 3;
  }
  return bytes;
}
