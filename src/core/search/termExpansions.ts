import { lexicalTerms } from './lexicalTerms';

/**
 * Words code shortens and the words a question uses for them: identifiers say `str`, `dict`, `idx`,
 * `listdir`, a person asks for "string", "dictionary", "index", "list directory". Written from common
 * usage across languages and standard libraries (not from any benchmark's queries); a piece maps to the
 * words it stands for, lower case, as splitIdentifier leaves identifiers.
 */
const ABBREVIATIONS: Record<string, string> = {
  // General programming shorthand (plurals need no entry: terms are stemmed).
  abs: 'absolute', addr: 'address', alloc: 'allocate', app: 'application', arg: 'argument', argv: 'arguments',
  arr: 'array', attr: 'attribute', auth: 'authentication', avg: 'average', bg: 'background', bin: 'binary',
  bool: 'boolean', btn: 'button', buf: 'buffer', calc: 'calculate', cb: 'callback', cfg: 'configuration',
  char: 'character', chr: 'character', clr: 'color', cmd: 'command', cmp: 'compare', cnt: 'count', col: 'column',
  concat: 'concatenate', cond: 'condition', conf: 'configuration', config: 'configuration', conn: 'connection',
  ctx: 'context', cur: 'current', curr: 'current', db: 'database', dbg: 'debug', decl: 'declaration',
  desc: 'description', dest: 'destination', dict: 'dictionary', diff: 'difference', dir: 'directory',
  dirname: 'directory name', dist: 'distance', div: 'divide', doc: 'document', dst: 'destination', dt: 'datetime',
  dup: 'duplicate', el: 'element', elem: 'element', env: 'environment', eof: 'end of file', eq: 'equal',
  err: 'error', esc: 'escape', eval: 'evaluate', evt: 'event', exc: 'exception', exe: 'executable', exec: 'execute',
  expr: 'expression', ext: 'extension', fd: 'file descriptor', fh: 'file handle', fig: 'figure', fmt: 'format',
  fname: 'file name', freq: 'frequency', gen: 'generate', hdr: 'header', hex: 'hexadecimal', id: 'identifier',
  idx: 'index', img: 'image', inc: 'increment', info: 'information', init: 'initialize', int: 'integer',
  iter: 'iterate', itr: 'iterator', kw: 'keyword', kwargs: 'keyword arguments', lang: 'language', len: 'length',
  lib: 'library', lim: 'limit', lst: 'list', max: 'maximum', mem: 'memory', min: 'minimum', msg: 'message',
  mul: 'multiply', mult: 'multiply', nav: 'navigation', neg: 'negative', num: 'number', obj: 'object', opt: 'option',
  param: 'parameter', pct: 'percent', perm: 'permission', pkg: 'package', pos: 'position', pow: 'power',
  prev: 'previous', proc: 'process', prod: 'product', prop: 'property', ptr: 'pointer', pwd: 'password',
  qty: 'quantity', rand: 'random', re: 'regular expression', recv: 'receive', ref: 'reference',
  regex: 'regular expression', regexp: 'regular expression', rel: 'relative', repr: 'representation', req: 'request',
  resp: 'response', rm: 'remove', rnd: 'random', sec: 'second', seq: 'sequence', sig: 'signal', sqrt: 'square root',
  src: 'source', stderr: 'standard error', stdin: 'standard input', stdout: 'standard output', str: 'string',
  sym: 'symbol', sync: 'synchronize', sys: 'system', tbl: 'table', temp: 'temporary', tmp: 'temporary',
  tmpl: 'template', tok: 'token', txt: 'text', usr: 'user', util: 'utility', val: 'value', vec: 'vector',
  ver: 'version',
  // Run-together names of standard libraries (Python, C, JavaScript, Go) that the splitter cannot see into.
  abspath: 'absolute path', argmax: 'maximum argument', argmin: 'minimum argument', asctime: 'time string',
  basename: 'base name file', chdir: 'change directory', chmod: 'change mode permission', copyfile: 'copy file',
  datetime: 'date time', deepcopy: 'deep copy', endswith: 'ends with suffix', expanduser: 'expand user home',
  fromtimestamp: 'from timestamp', getattr: 'get attribute', getcwd: 'current working directory',
  getenv: 'get environment variable', getsize: 'file size', hasattr: 'has attribute', isalnum: 'is alphanumeric',
  isalpha: 'is alphabetic', isdigit: 'is digit', isdir: 'is directory', isfile: 'is file',
  isinstance: 'is instance type', islower: 'is lower case', isnan: 'is not a number', isspace: 'is whitespace',
  issubclass: 'is subclass', isupper: 'is upper case', itemgetter: 'item getter', keyerror: 'key error',
  listdir: 'list directory', ljust: 'left justify pad', lstrip: 'left strip', makedirs: 'make directories',
  memcpy: 'memory copy', mkdir: 'make directory', mkdtemp: 'make temporary directory', ndarray: 'array',
  ndim: 'dimensions', readline: 'read line', readlines: 'read lines', rjust: 'right justify pad',
  rmdir: 'remove directory', rmtree: 'remove directory tree', rstrip: 'right strip', setattr: 'set attribute',
  splitext: 'split extension', splitlines: 'split lines', sprintf: 'format string', startswith: 'starts with prefix',
  strcmp: 'string compare', strftime: 'format time', strip: 'trim whitespace', strlen: 'string length',
  strptime: 'parse time', timedelta: 'time difference', tolist: 'to list', tolower: 'to lower case',
  tostring: 'to string', toupper: 'to upper case', urlencode: 'url encode', urljoin: 'url join', urlopen: 'url open',
  urlparse: 'url parse', utcnow: 'current utc time', writelines: 'write lines', zfill: 'zero fill pad',
  // Library aliases a question spells out.
  df: 'dataframe', np: 'numpy', pd: 'pandas', plt: 'plot matplotlib',
};

/** Stemmed piece -> the stemmed terms it adds, built once from ABBREVIATIONS through the same lexicalTerms. */
const EXPANSIONS: ReadonlyMap<string, readonly string[]> = new Map(
  Object.entries(ABBREVIATIONS).flatMap(([short, words]) => {
    const [key] = lexicalTerms(short);
    const added = lexicalTerms(words).filter((term) => term !== key);
    return key === undefined || added.length === 0 ? [] : [[key, added] as const];
  }),
);

/**
 * The terms with each abbreviation's words added after it (`str` -> str, string), so that a question's
 * words meet code's shorthand and the other way round. Applied to a unit's terms when a search snapshot
 * is built and to each query's, never stored, so indexes need no rebuild when the table changes.
 */
export function expandTerms(terms: readonly string[]): string[] {
  const expanded: string[] = [];
  for (const term of terms) {
    expanded.push(term);
    const added = EXPANSIONS.get(term);
    if (added) expanded.push(...added);
  }
  return expanded;
}
