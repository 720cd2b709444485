/** Small shared types of the simulator (internal). */

/** Unix seconds, fractions allowed (DEVELOPERS.md, shared conventions). */
export type Clock = () => number;

/** Injected randomness (DEVELOPERS.md, shared conventions). */
export type RandomBytes = (n: number) => Uint8Array;
