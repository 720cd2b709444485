/**
 * `npm run demo` as a newcomer runs it: the story it prints, exit 0, and nothing left behind
 * (its temporary directory is gone and its backend no longer answers).
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { ROOT } from './support-rig.js';

function runDemo(): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const c = spawn('npm', ['run', '--silent', 'demo'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FOBKIT_CONFIG: '' } });
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => c.kill('SIGINT'), 110_000);
    c.once('error', reject);
    c.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe('npm run demo', () => {
  it('tells the whole story, exits 0 and cleans up', async () => {
    const { code, out } = await runDemo();
    expect(code, out).toBe(0);
    const url = /^1\. backend: fobkit-backend serve on (http:\/\/127\.0\.0\.1:\d+) \(SQLite in (\S+)\)$/m.exec(out);
    expect(url, out).not.toBeNull();
    expect(out).toMatch(/^2\. factory root [0-9a-f]+ and a station certificate for "demo-line"/m);
    expect(out).toMatch(/^3\. four blank simulated fobs on ptys: ports\/fob-0, ports\/fob-1, ports\/fob-2, ports\/fob-3$/m);
    expect(out).toMatch(/^summary: 4 done, 0 failed/m);
    const assigned = /^5\. assigned \(fobkit assign\): (FK\d{8}) → alice, (FK\d{8}) → bob, (FK\d{8}) → carol, (FK\d{8}) → dave$/m.exec(out);
    expect(assigned, out).not.toBeNull();
    for (const user of ['alice', 'bob  ', 'carol', 'dave ']) expect(out).toMatch(new RegExp(`^   ${user} pressed FK\\d{8}: \\d{6} → login accepted$`, 'm'));
    const alice = /^ {3}alice pressed FK\d{8}: (\d{6})/m.exec(out)![1];
    expect(out).toMatch(new RegExp(`^7\\. someone replays alice's code ${alice} → login refused \\(replayed\\)$`, 'm'));
    expect(out).toMatch(/^8\. bob's fob clock moved \d+ s ahead: code \d{6} → login accepted; the backend now records his fob ≈ \+\d+ s ahead \(from one code; later logins narrow it\)$/m);
    expect(out).toMatch(new RegExp(`^9\\. dave lost his fob: fobkit unbind ${assigned![4]} --reason "lost on the train" --yes; its code \\d{6} → login refused \\(no-factor\\)$`, 'm'));
    expect(out).toMatch(/^demo complete in \d+ s; backend, simulator and temporary files cleaned up$/m);
    expect(existsSync(url![2]!)).toBe(false);
    await expect(fetch(`${url![1]}/v1/health`)).rejects.toThrow();
  }, 120_000);
});
