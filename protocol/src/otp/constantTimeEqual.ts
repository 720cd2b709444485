/**
 * Comparison whose running time depends only on the lengths of its inputs, not on where they
 * first differ, so a remote caller cannot find a code or a MAC byte by byte by timing answers.
 */

/** True when `a` and `b` are equal; strings are compared as their UTF-16 code units. */
export function constantTimeEqual(a: Uint8Array | string, b: Uint8Array | string): boolean {
  if (typeof a === 'string' && typeof b === 'string') {
    if (a.length !== b.length) return false;
    let diff = 0;
    for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
    return diff === 0;
  }
  if (typeof a === 'string' || typeof b === 'string') throw new TypeError('constantTimeEqual: both arguments must be strings or both Uint8Array');
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
