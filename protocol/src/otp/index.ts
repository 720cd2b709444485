/** The OTP core: HOTP (RFC 4226), TOTP (RFC 6238), verification, secret codecs. */
export * from './otpOptions.js';
export { generateHotp, encodeCounter, dynamicTruncate, formatCode, DIGITS_POWER, type HotpOptions } from './hotp.js';
export { generateTotp, totpStep, stepStartTime, type TotpOptions, type TotpStepOptions } from './totp.js';
export { createOtpKey, type OtpKey, type OtpKeyOptions } from './createOtpKey.js';
export { verifyTotp, MAX_VERIFY_WINDOW, type VerifyTotpOptions, type VerifyTotpResult } from './verifyTotp.js';
export { constantTimeEqual } from './constantTimeEqual.js';
export { encodeBase32, decodeBase32 } from './base32.js';
export { encodeHex, decodeHex } from './hex.js';
