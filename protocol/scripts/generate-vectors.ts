/**
 * Writes protocol/vectors/frames.json from fixed inputs. Run after a deliberate change to the
 * wire format: `node --import tsx protocol/scripts/generate-vectors.ts` (the vector test fails
 * until the file matches the code again).
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildFrameVectors, formatFrameVectors } from '../src/wire/_vectors.js';

const target = fileURLToPath(new URL('../vectors/frames.json', import.meta.url));
writeFileSync(target, formatFrameVectors(buildFrameVectors()));
console.log(`wrote ${target}`);
