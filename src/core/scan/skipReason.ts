/** Why a file of a supported language was not parsed. Stable strings: they appear in reports and JSON. */
export type SkipReason =
  | 'too-large'
  | 'binary'
  | 'non-utf8'
  | 'minified'
  | 'generated'
  | 'unreadable'
  | 'not-regular'
  | 'symlink-loop';

export const SKIP_REASON_DESCRIPTIONS: Record<SkipReason, string> = {
  'too-large': 'larger than astrolabe.maxFileSizeKB',
  binary: 'contains NUL bytes',
  'non-utf8': 'not valid UTF-8',
  minified: 'minified (very long lines)',
  generated: 'marked or named as generated',
  unreadable: 'could not be read',
  'not-regular': 'not a regular file (pipe, socket or device)',
  'symlink-loop': 'a symbolic link back into a folder already scanned',
};
