/** Seed-file formats other backends import (PSKC, CSV, pam_oath, otpauth). */
export {};
