/** The secure session between station and fob, and sealed envelopes. */
export { sealToRecipient, openSealed, generateSealKeyPair, SEAL_VERSION, type SealOptions, type OpenOptions } from './sealToRecipient.js';
