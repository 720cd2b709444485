/**
 * Rewrites the generated parts of protocol/SPEC.md from the golden vectors and the schema: the
 * schema hash in "Versioning", the whole "Byte-level examples" section and the "Appendix:
 * canonical schema text". Run after generate-vectors.ts whenever the wire format changes:
 *
 *   node --import tsx protocol/scripts/generate-vectors.ts
 *   node --import tsx protocol/scripts/update-spec.ts
 *
 * Everything else in SPEC.md is hand-written; vectors.test.ts checks that the file still quotes
 * the schema text, its hash and every golden frame.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { crc32 } from '../src/wire/crc32.js';
import { SCHEMA_TEXT } from '../src/wire/schema.js';
import { buildFrameVectors, type FrameVector, type JsonValue } from '../src/wire/_vectors.js';

const specPath = fileURLToPath(new URL('../SPEC.md', import.meta.url));
const v = buildFrameVectors();
const fromHex = (h: string) => Uint8Array.from(h.match(/../g) ?? [], (b) => parseInt(b, 16));
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const spaced = (h: string) => (h.match(/../g) ?? []).join(' ');
const rows = (h: string, indent = '') => {
  const bytes = h.match(/../g) ?? [];
  const out: string[] = [];
  for (let i = 0; i < bytes.length; i += 16) out.push(indent + bytes.slice(i, i + 16).join(' '));
  return out.join('\n');
};
/** A numbered list item wrapped at 100 columns, continuation lines indented under the text. */
function listItem(n: number, text: string): string {
  const lines: string[] = [];
  let line = `${n}.`;
  for (const word of text.split(' ')) {
    if (line.length + 1 + word.length > 100) {
      lines.push(line);
      line = '  ';
    }
    line += ' ' + word;
  }
  return [...lines, line].join('\n');
}
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Annotates the CBOR subset the schema uses (maps, arrays, uint, text, bytes, bool, float64). */
function annotate(body: Uint8Array): string {
  const lines: [string, string][] = [];
  const head = (i: number): [number, number, number] => {
    const ib = body[i]!;
    const ai = ib & 31;
    if (ai < 24) return [ib >> 5, ai, i + 1];
    const n = ({ 24: 1, 25: 2, 26: 4, 27: 8 } as Record<number, number>)[ai]!;
    let arg = 0;
    for (let k = 0; k < n; k++) arg = arg * 256 + body[i + 1 + k]!;
    return [ib >> 5, arg, i + 1 + n];
  };
  const span = (a: number, z: number) => spaced(hex(body.subarray(a, z)));
  const item = (i: number, depth: number): number => {
    const ind = '  '.repeat(depth);
    const [major, arg, j] = head(i);
    switch (major) {
      case 5: {
        lines.push([span(i, j), `${ind}map of ${plural(arg, 'pair')}`]);
        let at = j;
        for (let k = 0; k < arg; k++) {
          const [, len, ks] = head(at);
          lines.push([span(at, ks + len), `${ind}  key "${new TextDecoder().decode(body.subarray(ks, ks + len))}" (text, ${plural(len, 'byte')})`]);
          at = item(ks + len, depth + 2);
        }
        return at;
      }
      case 4: {
        lines.push([span(i, j), `${ind}array of ${plural(arg, 'item')}`]);
        let at = j;
        for (let k = 0; k < arg; k++) at = item(at, depth + 1);
        return at;
      }
      case 0:
        lines.push([span(i, j), `${ind}unsigned ${arg}`]);
        return j;
      case 3:
        lines.push([arg <= 12 ? span(i, j + arg) : `${span(i, j)} ${span(j, j + 4)} ..`, `${ind}text "${new TextDecoder().decode(body.subarray(j, j + arg))}"`]);
        return j + arg;
      case 2: {
        const data = hex(body.subarray(j, j + arg));
        lines.push([`${span(i, j)}${arg ? ' ' + span(j, j + Math.min(4, arg)) + (arg > 4 ? ' ..' : '') : ''}`, `${ind}bytes, ${arg}: ${data.slice(0, 32)}${arg > 16 ? '…' : ''}`]);
        return j + arg;
      }
      case 7:
        if (body[i] === 0xf4 || body[i] === 0xf5) {
          lines.push([span(i, i + 1), `${ind}${body[i] === 0xf5}`]);
          return i + 1;
        }
        if (body[i] === 0xfb) {
          lines.push([span(i, i + 9), `${ind}float64 ${new DataView(body.buffer, body.byteOffset + i + 1, 8).getFloat64(0)}`]);
          return i + 9;
        }
    }
    throw new Error(`annotate: unexpected initial byte ${body[i]!.toString(16)}`);
  };
  if (item(0, 0) !== body.length) throw new Error('annotate: trailing bytes');
  const width = Math.max(...lines.map(([a]) => a.length));
  return lines.map(([a, c]) => `${a.padEnd(width)}  ${c}`).join('\n');
}

function diag(body: Record<string, JsonValue>): string {
  const value = (x: JsonValue): string => {
    if (x !== null && typeof x === 'object' && !Array.isArray(x) && typeof x.$bytes === 'string') return `h'${x.$bytes}'`;
    if (Array.isArray(x)) return `[${x.map(value).join(', ')}]`;
    return JSON.stringify(x);
  };
  return `{${Object.entries(body).map(([k, x]) => `"${k}": ${value(x)}`).join(', ')}}`;
}

/** COBS groups of a decoded frame: the data of each group, as the encoder cuts them. */
function cobsGroups(frame: Uint8Array): Uint8Array[] {
  const groups: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i <= frame.length; i++) {
    if (i === frame.length || frame[i] === 0 || i - start === 254) {
      groups.push(frame.subarray(start, i));
      if (i < frame.length && frame[i] !== 0 && i - start === 254) start = i;
      else start = i + 1;
    }
  }
  return groups;
}

function walkThrough(): string {
  const hello = v.messages.find((m) => m.name === 'HELLO')!;
  const req = hello.request;
  const res = hello.response;
  const reqFrame = fromHex(req.frameHex);
  const reqBody = fromHex(req.bodyHex);
  const zeros = [...reqFrame.keys()].filter((i) => reqFrame[i] === 0);
  const groups = cobsGroups(reqFrame);
  const short = (g: Uint8Array) => (g.length <= 12 ? spaced(hex(g)) : `${spaced(hex(g.subarray(0, 3)))} .. ${spaced(hex(g.subarray(-4)))}`);
  const wire = fromHex(res.wireHex);
  const frame = fromHex(res.frameHex);
  const steps: string[] = [];
  for (let i = 0, n = 0; wire[i] !== 0; n++) {
    const code = wire[i]!;
    const last = wire[i + code] === 0;
    let s = n === 0 ? `The first code is \`${code.toString(16).padStart(2, '0')}\`: copy the next ${plural(code - 1, 'byte')}` : `The next code, at offset ${i}, is \`${code.toString(16).padStart(2, '0')}\` (${code}): copy the next ${plural(code - 1, 'byte')}`;
    s += last ? '; that group reaches the end of the frame, so no `00` is added.' : code === 0xff ? '; code 255 adds no `00`.' : `, and, since ${code} < 255 and more follows, add a \`00\`.`;
    steps.push(s);
    i += code;
  }
  const bodyLength = frame.length - 9;
  return `## Byte-level examples

Every example here is a golden vector of \`protocol/vectors/frames.json\`, which the test suite
decodes and re-encodes byte for byte. Keys and nonces are fixed (derived from fixed labels), so the
bytes are reproducible. Dumps are 16 bytes per line. (This section is generated by
\`protocol/scripts/update-spec.ts\`.)

### Encoding a HELLO request, step by step

The station sends HELLO with \`requestId\` ${req.requestId} and the nonce \`00 01 02 .. 0f\`.

${listItem(1, `**Body.** The CBOR map \`${diag(req.body)}\`, keys in canonical order (\`v\` is shorter than \`nonce\`), ${reqBody.length} bytes:`)}

   \`\`\`
${annotate(reqBody).split('\n').map((l) => '   ' + l).join('\n')}
   \`\`\`

2. **Header.** \`01\` version 1, \`00\` flags (a plain request), \`01\` type HELLO, \`${spaced(req.frameHex.slice(6, 10))}\` requestId ${req.requestId}.
3. **CRC-32** over header and body (${reqFrame.length - 4} bytes) is \`0x${crc32(reqFrame.subarray(0, -4)).toString(16).toUpperCase().padStart(8, '0')}\`, appended big-endian. The
   decoded frame, ${reqFrame.length} bytes:

   \`\`\`
${rows(req.frameHex, '   ')}
   \`\`\`

${listItem(4, `**COBS.** The frame has zeros at offsets ${zeros.join(', ')}, so it splits into ${groups.length} groups: ${groups.map((g) => `\`[${short(g)}]\` (${plural(g.length, 'byte')})`).join(', ')}. Each group becomes its length + 1 followed by its bytes, and the zeros disappear: ${groups.map((g) => `\`${spaced(hex(Uint8Array.of(g.length + 1)))} ${short(g)}\``).join(', ')}.`)}
5. **Delimiter.** Append \`00\`. On the wire, ${fromHex(req.wireHex).length} bytes:

   \`\`\`
${rows(req.wireHex, '   ')}
   \`\`\`

### Decoding the HELLO response, byte by byte

The fob answers with these ${wire.length} bytes:

\`\`\`
${rows(res.wireHex)}
\`\`\`

1. **Delimit.** The frame is everything before the \`00\` at the end (${wire.length - 1} bytes).
${listItem(2, `**COBS.** ${steps.join(' ')} Decoded: ${frame.length} bytes.`)}
3. **Length.** ${frame.length} is within 9..1024.
4. **CRC.** The last 4 decoded bytes are \`${spaced(hex(frame.subarray(-4)))}\`; CRC-32 over the first ${frame.length - 4} bytes is
   \`0x${crc32(frame.subarray(0, -4)).toString(16).toUpperCase().padStart(8, '0')}\`: the frame is intact.
5. **Header.** \`01\` version 1; \`01\` flags RESPONSE (not SECURE, not ERROR: a plain success);
   \`01\` type HELLO; \`${spaced(res.frameHex.slice(6, 10))}\` requestId ${res.requestId}, matching the request.
6. **Body.** Bytes 5..${frame.length - 5} (${bodyLength} bytes) are the CBOR map. Each CBOR item starts with an
   initial byte: its top 3 bits are the major type (0 unsigned, 2 bytes, 3 text, 4 array, 5 map,
   7 simple/float), its low 5 bits the argument: the value or length itself when below 24, or
   24, 25, 26, 27 for a 1, 2, 4, 8-byte big-endian argument that follows. So \`a9\` is a map of 9
   pairs, \`61\` a 1-byte text, \`58 20\` a byte string of 0x20 = 32 bytes, \`83\` an array of 3:

\`\`\`
${annotate(fromHex(res.bodyHex))}
\`\`\`

   \`serial\` is absent because the fob is \`blank\`. The station checks \`v\` = 1 and \`schema\` =
   its own hash (\`${v.schemaHash}\`), keeps \`nonce\` and \`pub\` for BEGIN_SESSION, and keeps both
   bodies byte for byte for the session transcript.
`;
}

function frameBlock(kind: string, f: FrameVector): string {
  return `${kind} (flags 0x${f.flags.toString(16).padStart(2, '0')}, requestId 0x${f.requestId.toString(16).padStart(4, '0')}), body \`${diag(f.body)}\`:

\`\`\`
${annotate(fromHex(f.bodyHex))}
\`\`\`

On the wire:

\`\`\`
${rows(f.wireHex)}
\`\`\`
`;
}

function everyCommand(): string {
  const out: string[] = ['### Every command\n'];
  for (const m of v.messages) {
    out.push(`#### 0x${m.type.toString(16).toUpperCase().padStart(2, '0')} ${m.name}\n`);
    if (m.secure) {
      out.push("Sent inside a SECURE record of an authenticated session: the frame below shows the plaintext layout (a fob answers this exact plain frame with AUTH_REQUIRED). The record's plaintext is exactly the body shown.\n");
    }
    if (m.name === 'BEGIN_SESSION') {
      out.push("The request is plain (it opens the session; `cert` here is 32 opaque bytes standing in for a real certificate, see the worked example in [Secure session](#secure-session)). The response travels as the first fob→station SECURE record; its plaintext is the body shown.\n");
    }
    out.push(frameBlock('Request', m.request), frameBlock('Response', m.response));
  }
  out.push('#### Error responses\n');
  for (const e of v.errors) {
    const r = e.response;
    out.push(`${e.name}: the request (type 0x${e.type.toString(16).padStart(2, '0')}) is \`${e.request.wireHex}\`; the response (flags 0x${r.flags.toString(16).padStart(2, '0')}) has the body \`${diag(r.body)}\`:

\`\`\`
${rows(r.wireHex)}
\`\`\`
`);
  }
  return out.join('\n');
}

const appendix = `## Appendix: canonical schema text

The text below, with LF line ends and a final LF, is what \`SCHEMA_HASH\` is computed over
(\`SCHEMA_TEXT\` in \`@fobkit/protocol/wire\`). Notation: \`key:type[bounds]\`, \`key?\` for an optional
key, \`text[min..max,charset]\` with lengths in bytes, \`bytes[n]\` or \`bytes[min..max]\`,
\`text[..][0..n]\` for an array of up to n texts, \`enum[a|b]\` for a text that must be one of the
values. SHA-256 of it starts with \`${v.schemaHash}\`.

\`\`\`
${SCHEMA_TEXT}\`\`\`
`;

/** Replaces the section starting at `heading` up to the next `## ` heading (or the end). */
function replaceSection(spec: string, heading: string, content: string): string {
  const start = spec.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`SPEC.md has no section "${heading}"`);
  const next = spec.indexOf('\n## ', start + heading.length + 2);
  const end = next < 0 ? spec.length : next + 1;
  return spec.slice(0, start + 1) + content.trimEnd() + '\n' + (next < 0 ? '' : '\n') + spec.slice(end);
}

let spec = readFileSync(specPath, 'utf8');
spec = spec.replace(/(For this document it is\n\n```\n)[0-9a-f]{16}(\n```)/, `$1${v.schemaHash}$2`);
spec = replaceSection(spec, '## Byte-level examples', walkThrough() + '\n' + everyCommand());
spec = replaceSection(spec, '## Appendix: canonical schema text', appendix);
writeFileSync(specPath + '.tmp', spec);
renameSync(specPath + '.tmp', specPath);
console.log(`updated ${specPath} (schema hash ${v.schemaHash})`);
