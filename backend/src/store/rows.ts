/** Row shapes of the tables in migrations.ts, as both drivers return them. */

export type TokenState = 'pending' | 'available' | 'assigned' | 'quarantined' | 'revoked';
export const TOKEN_STATES: readonly TokenState[] = ['pending', 'available', 'assigned', 'quarantined', 'revoked'];

export interface TokenRow {
  /** The key that re-registered a refurbished fob (migration 7); null: the reservation decides. */
  owner_key: string | null;
  serial: string;
  model: string | null;
  batch: string | null;
  source: 'station' | 'import';
  seed_enc: Buffer;
  kek_id: string;
  algorithm: 'sha1' | 'sha256' | 'sha512';
  digits: 6 | 7 | 8;
  period: number;
  t0: number;
  provisioned_at: number;
  clock_offset: number;
  state: TokenState;
  enabled: number;
  user_id: string | null;
  last_step: number;
  /** otp/stepLedger.ts: recently accepted steps, ascending, comma-separated. */
  used_steps: string;
  /** otp/stepLedger.ts: every step at or below it counts as used. */
  used_floor: number;
  last_used: number | null;
  anchor_time: number;
  anchor_offset: number;
  anchor_err: number;
  rate_lo: number;
  rate_hi: number;
  fail_count: number;
  fail_last: number | null;
  locked_until: number | null;
  created_at: number;
  updated_at: number;
}

export interface UserRow {
  user_id: string;
  fail_count: number;
  fail_last: number | null;
  locked_until: number | null;
  created_at: number;
  /** scrypt hash string of the user's static PIN (userPin.ts), or null. */
  pin_hash: string | null;
}

export interface AppFactorRow {
  id: string;
  user_id: string;
  seed_enc: Buffer;
  kek_id: string;
  algorithm: 'sha1' | 'sha256' | 'sha512';
  digits: 6 | 7 | 8;
  period: number;
  last_step: number;
  label: string | null;
  created_at: number;
  revoked_at: number | null;
  /** Null: active; else a pending enrolment, lapsing then. */
  pending_until: number | null;
}

export interface ApiKeyRow {
  id: string;
  role: string;
  hash: Buffer;
  label: string | null;
  created_at: number;
  revoked_at: number | null;
}

export interface RegistrationKeyRow {
  kid: string;
  public_key: Buffer;
  private_enc: Buffer;
  kek_id: string;
  active: number;
  created_at: number;
}

/** Associated data binding each ciphertext to its row (see crypto/keyring.ts). */
export const aad = {
  tokenSeed: (serial: string) => `token-seed:${serial}`,
  appSeed: (id: string) => `app-seed:${id}`,
  registrationKey: (kid: string) => `registration-key:${kid}`,
};
