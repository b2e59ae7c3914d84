import { LanguageId } from './languages';

/** What a code unit is. "toplevel" is code outside any function or type, grouped in bounded windows. */
export type UnitKind = 'function' | 'method' | 'class' | 'interface' | 'enum' | 'struct' | 'trait' | 'impl' | 'toplevel';

/** A unit of code that Astrolabe embeds, searches and compares: a function, a method, a type, or a top-level window. */
export interface CodeUnit {
  /** Path relative to the scanned root, with "/" separators. */
  readonly file: string;
  readonly language: LanguageId;
  readonly kind: UnitKind;
  /** Qualified name, scopes joined with "."; a part of a split unit ends in "#N". */
  readonly name: string;
  /** 1-based, inclusive. */
  readonly startLine: number;
  readonly endLine: number;
  /** UTF-8 byte offsets into the file, end exclusive. */
  readonly startByte: number;
  readonly endByte: number;
  /** The unit's source text, exactly the file's bytes in [startByte, endByte). */
  readonly text: string;
  /** Hex SHA-256 prefix (128 bits) of `text`: equal text, equal hash. */
  readonly hash: string;
}
