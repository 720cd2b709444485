/**
 * Hostile-input-safe XML reading for seed files, on fast-xml-parser. Seed files arrive from
 * vendors and customers, so before any parsing: a size bound, and any DOCTYPE or ENTITY
 * declaration is refused outright (billion laughs, external entities: a PSKC document never needs
 * one, RFC 6030 §4). The parsed tree carries resolved namespace URIs, because producers choose
 * their own prefixes (`pskc:`, a default namespace, `ns2:`...), and the 1-based line of each
 * element for error messages.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { SeedFileError } from '../errors.js';

export interface XmlElement {
  /** Namespace URI ('' when the element is in no namespace). */
  readonly ns: string;
  readonly name: string;
  /** Attributes by their qualified name as written (`Algorithm`, `xsi:type`), xmlns excluded. */
  readonly attrs: ReadonlyMap<string, string>;
  readonly children: readonly XmlElement[];
  /** Concatenated character data directly inside this element, entities decoded, trimmed. */
  readonly text: string;
  readonly line: number;
}

/**
 * 10 MiB. An encrypted PSKC key package is ~1.2 KB, so this admits batches of ~8 500 fobs;
 * bigger batches come split, or the caller raises `maxBytes` (`--max-file-mb`).
 */
export const DEFAULT_MAX_SEED_FILE_BYTES = 10 * 1024 * 1024;
/** Nesting of a PSKC document is below 10; anything deeper is not one. */
const MAX_DEPTH = 32;

const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const XMLNS = 'http://www.w3.org/2000/xmlns/';
const XML_NS = 'http://www.w3.org/XML/1998/namespace';

/**
 * Turns bytes or text into a string, refusing oversized input by length before any decoding.
 * @throws SeedFileError `code` when larger than `maxBytes`.
 */
export function boundedText(input: string | Uint8Array, maxBytes: number, code: 'PSKC_INVALID' | 'FORMAT_INVALID'): string {
  const size = typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input.length;
  if (size > maxBytes) {
    throw new SeedFileError(code, `file is ${size} bytes, over the limit of ${maxBytes} bytes (split the batch, or raise maxBytes)`);
  }
  const text = typeof input === 'string' ? input : new TextDecoder('utf-8', { fatal: false }).decode(input);
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * Parses one XML document into a namespace-resolved element tree.
 * @throws SeedFileError PSKC_INVALID on oversized input, any DOCTYPE/ENTITY declaration, XML that
 *   is not well-formed, an undeclared prefix or an unknown entity reference.
 */
export function parseXmlSafely(input: string | Uint8Array, maxBytes = DEFAULT_MAX_SEED_FILE_BYTES): XmlElement {
  const text = boundedText(input, maxBytes, 'PSKC_INVALID');
  const decl = /<!\s*(DOCTYPE|ENTITY)/i.exec(text);
  if (decl) {
    throw new SeedFileError('PSKC_INVALID', `refusing a document with a <!${decl[1]!.toUpperCase()}> declaration (entities are never needed in PSKC and can be an entity-expansion attack)`, { line: lineAt(text, decl.index) });
  }
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    throw new SeedFileError('PSKC_INVALID', `not well-formed XML: ${valid.err.msg}`, { line: valid.err.line });
  }
  const parser = new XMLParser({
    preserveOrder: true,
    ignoreAttributes: false,
    attributeNamePrefix: '',
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: false,
    // Entities are decoded here in one pass (predefined + character references) so that
    // `&amp;#65;` stays the text "&#65;" and no other entity can ever expand.
    processEntities: false,
    htmlEntities: false,
    ignoreDeclaration: true,
    ignorePiTags: true,
    captureMetaData: true,
    maxNestedTags: MAX_DEPTH,
  });
  let nodes: unknown;
  try {
    nodes = parser.parse(text);
  } catch (e) {
    throw new SeedFileError('PSKC_INVALID', `not well-formed XML: ${(e as Error).message}`, { cause: e });
  }
  const lineStarts = computeLineStarts(text);
  const roots = (nodes as RawNode[]).filter((n) => elementName(n) !== undefined);
  if (roots.length !== 1) throw new SeedFileError('PSKC_INVALID', `expected one root element, found ${roots.length}`);
  return convert(roots[0]!, new Map([['xml', XML_NS]]), lineStarts, 0);
}

type RawNode = Record<string, unknown>;
const META = XMLParser.getMetaDataSymbol() as unknown as symbol;

function elementName(node: RawNode): string | undefined {
  for (const key of Object.keys(node)) if (key !== ':@' && key !== '#text') return key;
  return undefined;
}

function convert(node: RawNode, parentScope: Map<string, string>, lineStarts: number[], depth: number): XmlElement {
  const qname = elementName(node)!;
  const meta = (node as Record<symbol, { startIndex?: number } | undefined>)[META];
  const line = meta?.startIndex === undefined ? 0 : lineOf(lineStarts, meta.startIndex);
  const rawAttrs = (node[':@'] ?? {}) as Record<string, string>;
  let scope = parentScope;
  const attrs = new Map<string, string>();
  for (const [key, raw] of Object.entries(rawAttrs)) {
    const value = decodeEntities(String(raw), line);
    if (key === 'xmlns' || key.startsWith('xmlns:')) {
      if (scope === parentScope) scope = new Map(parentScope);
      scope.set(key === 'xmlns' ? '' : key.slice(6), value);
    } else {
      attrs.set(key, value);
    }
  }
  const colon = qname.indexOf(':');
  const prefix = colon < 0 ? '' : qname.slice(0, colon);
  const name = colon < 0 ? qname : qname.slice(colon + 1);
  const ns = scope.get(prefix) ?? (prefix === '' ? '' : undefined);
  if (ns === undefined || ns === XMLNS) throw new SeedFileError('PSKC_INVALID', `element <${qname}> uses an undeclared namespace prefix '${prefix}'`, { line });
  const children: XmlElement[] = [];
  let text = '';
  for (const child of (node[qname] ?? []) as RawNode[]) {
    if (typeof child['#text'] === 'string' || typeof child['#text'] === 'number') text += String(child['#text']);
    else if (elementName(child) !== undefined) children.push(convert(child, scope, lineStarts, depth + 1));
  }
  return { ns, name, attrs, children, text: decodeEntities(text, line).trim(), line };
}

function decodeEntities(text: string, line: number): string {
  if (!text.includes('&')) return text;
  return text.replace(/&([^;&\s]{0,12});?/g, (match, ref: string) => {
    if (!match.endsWith(';')) throw new SeedFileError('PSKC_INVALID', "a bare '&' (write &amp;)", { line });
    if (ref in PREDEFINED) return PREDEFINED[ref]!;
    const code = /^#x[0-9a-fA-F]{1,6}$/.test(ref) ? parseInt(ref.slice(2), 16) : /^#[0-9]{1,7}$/.test(ref) ? parseInt(ref.slice(1), 10) : -1;
    if (code < 0) throw new SeedFileError('PSKC_INVALID', `unknown entity reference &${ref}; (only the XML predefined entities are allowed)`, { line });
    if (code > 0x10ffff || code === 0) throw new SeedFileError('PSKC_INVALID', `invalid character reference &${ref};`, { line });
    return String.fromCodePoint(code);
  });
}

function computeLineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

function lineOf(starts: number[], index: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= index) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

function lineAt(text: string, index: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < index; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/** The child elements named `name` in namespace `ns` (`ns === '*'`: any namespace). */
export function childrenOf(el: XmlElement, ns: string, name: string): XmlElement[] {
  return el.children.filter((c) => c.name === name && (ns === '*' || c.ns === ns));
}

/**
 * The single child `name` in `ns`, or undefined.
 * @throws SeedFileError PSKC_INVALID when there is more than one.
 */
export function childOf(el: XmlElement, ns: string, name: string): XmlElement | undefined {
  const found = childrenOf(el, ns, name);
  if (found.length > 1) throw new SeedFileError('PSKC_INVALID', `<${el.name}> has ${found.length} <${name}> elements, expected at most one`, { line: found[1]!.line });
  return found[0];
}
