/**
 * `npm run bench:session`: the cost of the secure session, measured in one run with interleaved
 * rounds. Handshakes per second for each end (station: X25519 + Ed25519 sign; fob: up to three
 * Ed25519 verifies + X25519), against one bare Ed25519 verify as the baseline (the fob side is
 * about three of them). Records: seal+open of a 64-byte body through SecureChannel against bare
 * AES-256-GCM encrypt+decrypt with the same key (the baseline): the ratio is the record layer's
 * own overhead (counter, nonce, replay check). Information only; no bar.
 *
 * Options: `--rounds N` (default 5), `--slice-ms N` (default 200), `--json`.
 */
import { parseArgs } from 'node:util';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { gcm } from '@noble/ciphers/aes.js';
import {
  acceptSession,
  createRevocationList,
  createStationHandshake,
  generateSigningKeyPair,
  issueStationCertificate,
  SecureChannel,
} from '@fobkit/protocol/session';
import { measureInterleaved, type Contender } from './_interleaved.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, 'slice-ms': { type: 'string', default: '200' }, json: { type: 'boolean', default: false } } });
const NOW = 1_800_000_000;
const root = generateSigningKeyPair();
const stationKey = generateSigningKeyPair();
const certificate = issueStationCertificate({ rootPrivateKey: root.privateKey, id: 3, name: 'bench', stationPublicKey: stationKey.publicKey, notBefore: NOW - 10, notAfter: NOW + 86_400 });
const crl = createRevocationList({ rootPrivateKey: root.privateKey, seq: 1, ids: [1, 2], issuedAt: NOW });
const fob = x25519.keygen();
const helloRequestBody = new Uint8Array(27).fill(1);
const helloResponseBody = new Uint8Array(140).fill(2);
const station = { privateKey: stationKey.privateKey, certificate, revocationList: crl };
const hs = createStationHandshake({ helloRequestBody, helloResponseBody, fobPublicKey: fob.publicKey, station });
const msg = new Uint8Array(32).fill(7);
const sig = ed25519.sign(msg, stationKey.privateKey);
const key = new Uint8Array(32).fill(9);
const header = Uint8Array.of(1, 2, 2, 0, 1);
const body = new Uint8Array(64).fill(3);
const nonce = new Uint8Array(12);

const contenders: Contender[] = [
  { name: 'baseline: one Ed25519 verify', run: (n) => { let x = 0; for (let i = 0; i < n; i++) x += ed25519.verify(sig, msg, stationKey.publicKey, { zip215: false }) ? 1 : 0; return x; } },
  { name: 'station handshake (createStationHandshake)', run: (n) => { let x = 0; for (let i = 0; i < n; i++) { const h = createStationHandshake({ helloRequestBody, helloResponseBody, fobPublicKey: fob.publicKey, station }); x += h.sid[0]!; h.send.close(); h.receive.close(); } return x; } },
  { name: 'fob handshake (acceptSession, with CRL)', run: (n) => { let x = 0; for (let i = 0; i < n; i++) { const r = acceptSession({ staticPrivateKey: fob.secretKey, helloRequestBody, helloResponseBody, request: hs.request, rootPublicKey: root.publicKey, now: NOW }); x += r.ok ? 1 : 0; } return x; } },
  { name: 'baseline: AES-256-GCM 64 B encrypt+decrypt', run: (n) => { let x = 0; for (let i = 0; i < n; i++) { const c = gcm(key, nonce, header).encrypt(body); x += gcm(key, nonce, header).decrypt(c)[0]!; } return x; } },
  { name: 'record 64 B seal+open (SecureChannel)', run: (n) => { const tx = new SecureChannel({ key, direction: 'send' }); const rx = new SecureChannel({ key, direction: 'receive' }); let x = 0; for (let i = 0; i < n; i++) { const r = rx.open(header, tx.seal(header, body)); x += r.ok ? 1 : 0; } return x; } },
];

const results = measureInterleaved(contenders, { rounds: Number(values.rounds), sliceMs: Number(values['slice-ms']), warmupMs: 300 });
const by = (name: string) => results.find((r) => r.name.startsWith(name))!.opsPerSecond;
const report = {
  edVerifyPerSec: by('baseline: one Ed25519'),
  stationHandshakesPerSec: by('station handshake'),
  fobHandshakesPerSec: by('fob handshake'),
  fobHandshakeInEdVerifies: by('baseline: one Ed25519') / by('fob handshake'),
  gcmPerSec: by('baseline: AES'),
  recordsPerSec: by('record 64 B'),
  recordVsBareGcm: by('record 64 B') / by('baseline: AES'),
};
if (values.json) process.stdout.write(JSON.stringify({ results, ...report }) + '\n');
else {
  for (const r of results) process.stdout.write(`${r.name.padEnd(46)} ${Math.round(r.opsPerSecond).toLocaleString('en').padStart(10)} /s\n`);
  process.stdout.write(`fob handshake costs ${report.fobHandshakeInEdVerifies.toFixed(2)} Ed25519 verifies; a record round trip runs at ${(report.recordVsBareGcm * 100).toFixed(0)}% of bare AES-GCM\n`);
}
