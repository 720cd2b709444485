/**
 * A password for `fobkit-backend operators add|passwd`: typed at a terminal without echo (asked
 * twice), or the first line of standard input when it is a pipe or file. Never from argv: the
 * command line is visible to every user of the machine (ps, /proc) and kept in shell history.
 */
import { BackendError } from '../errors.js';

const MAX_INPUT = 4096;

function readLineFromPipe(): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    process.stdin.setEncoding('utf8');
    const onData = (chunk: string) => {
      text += chunk;
      const nl = text.indexOf('\n');
      if (nl !== -1 || text.length > MAX_INPUT) {
        process.stdin.off('data', onData);
        process.stdin.pause();
        resolve(nl === -1 ? text : text.slice(0, nl));
      }
    };
    process.stdin.on('data', onData);
    process.stdin.once('end', () => resolve(text));
    process.stdin.once('error', reject);
  });
}

/** Typed ahead of a prompt (both answers in one chunk): kept for the next prompt. */
let typedAhead = '';

function readHidden(prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(prompt);
    stdin.setRawMode(true);
    stdin.setEncoding('utf8');
    let text = '';
    let finished = false;
    const done = (rest: string, error?: Error) => {
      finished = true;
      typedAhead = rest;
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(text);
    };
    const onData = (chunk: string) => {
      const chars = [...chunk];
      for (let i = 0; i < chars.length && !finished; i++) {
        const ch = chars[i]!;
        if (ch === '\r' || ch === '\n') done(chars.slice(i + (ch === '\r' && chars[i + 1] === '\n' ? 2 : 1)).join(''));
        else if (ch === '\u0003') done('', new BackendError('INVALID_REQUEST', 'cancelled'));
        else if (ch === '\u007f' || ch === '\b') text = text.slice(0, -1);
        else if (ch >= ' ' && text.length < MAX_INPUT) text += ch;
      }
    };
    stdin.on('data', onData);
    const ahead = typedAhead;
    typedAhead = '';
    if (ahead) onData(ahead);
    if (!finished) stdin.resume();
  });
}

export async function readPassword(): Promise<string> {
  let password: string;
  if (process.stdin.isTTY) {
    password = await readHidden('Password: ');
    const again = await readHidden('Again: ');
    if (again !== password) throw new BackendError('INVALID_REQUEST', 'the two passwords differ');
  } else {
    password = (await readLineFromPipe()).replace(/\r$/, '');
  }
  if (password === '') throw new BackendError('INVALID_REQUEST', 'no password given (type it at the prompt, or send it on standard input)');
  return password;
}
