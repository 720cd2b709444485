/**
 * Helpdesk console operators: people with a name, a role (support or admin) and a password
 * hashed with scrypt (crypto/passwordHash.ts). Managed by `fobkit-backend operators
 * add|list|disable|passwd`; each change is audited. A disabled operator, or one whose password
 * changed, loses every console session at once.
 */
import { BackendError } from '../errors.js';
import { hashPassword, verifyPassword, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../crypto/passwordHash.js';
import { auditedTransaction, type BackendContext } from './context.js';

export const OPERATOR_ROLES = ['support', 'admin'] as const;
export type OperatorRole = (typeof OPERATOR_ROLES)[number];
/** Names are what the audit log shows as `op:<name>`: short, printable, no spaces. */
export const OPERATOR_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export interface OperatorRow {
  name: string;
  role: OperatorRole;
  password_hash: string;
  created_at: number;
  updated_at: number;
  disabled_at: number | null;
}

export interface OperatorView {
  name: string;
  role: OperatorRole;
  createdAt: number;
  disabledAt: number | null;
}

/** The audit-log actor of an operator's console actions. */
export const operatorActor = (name: string): string => `op:${name}`;

function assertName(name: string): void {
  if (!OPERATOR_NAME_PATTERN.test(name)) throw new BackendError('INVALID_REQUEST', 'operator name must be 1 to 64 of a-z 0-9 . _ - (lower case, starting with a letter or digit)');
}

function assertRole(role: string): asserts role is OperatorRole {
  if (!(OPERATOR_ROLES as readonly string[]).includes(role)) throw new BackendError('INVALID_REQUEST', 'operator role must be support or admin');
}

async function hashOrRefuse(password: string): Promise<string> {
  try {
    return await hashPassword(password);
  } catch (e) {
    if (e instanceof RangeError) throw new BackendError('INVALID_REQUEST', `password must be ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters`);
    throw e;
  }
}

/** @throws BackendError INVALID_REQUEST (name, role, password length), CONFLICT (the name exists). */
export async function addOperator(ctx: BackendContext, actor: string, input: { name: string; role: string; password: string }): Promise<OperatorView> {
  assertName(input.name);
  assertRole(input.role);
  const role = input.role;
  const hash = await hashOrRefuse(input.password);
  const now = ctx.clock();
  await auditedTransaction(ctx, async (tx, audit) => {
    const { changes } = await tx.run('INSERT INTO operators (name, role, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING',
      [input.name, role, hash, now, now]);
    if (changes === 0) throw new BackendError('CONFLICT', `operator ${input.name} exists; use passwd or disable`);
    await audit({ actor, action: 'operator.add', subject: operatorActor(input.name), detail: { role } });
  });
  return { name: input.name, role, createdAt: now, disabledAt: null };
}

export async function listOperators(ctx: BackendContext): Promise<OperatorView[]> {
  const rows = await ctx.db.all<OperatorRow>('SELECT name, role, created_at, disabled_at FROM operators ORDER BY name');
  return rows.map((r) => ({ name: r.name, role: r.role, createdAt: r.created_at, disabledAt: r.disabled_at }));
}

/** @throws BackendError NOT_FOUND when there is no enabled operator of that name. */
export async function disableOperator(ctx: BackendContext, actor: string, name: string): Promise<void> {
  await auditedTransaction(ctx, async (tx, audit) => {
    const now = ctx.clock();
    const { changes } = await tx.run('UPDATE operators SET disabled_at = ?, updated_at = ? WHERE name = ? AND disabled_at IS NULL', [now, now, name]);
    if (changes === 0) throw new BackendError('NOT_FOUND', `no enabled operator ${name}`);
    await tx.run('DELETE FROM console_sessions WHERE operator = ?', [name]);
    await audit({ actor, action: 'operator.disable', subject: operatorActor(name) });
  });
}

/** Sets a new password (and, when given, a new role); ends the operator's sessions. */
export async function setOperatorPassword(ctx: BackendContext, actor: string, name: string, password: string, role?: string): Promise<void> {
  if (role !== undefined) assertRole(role);
  const hash = await hashOrRefuse(password);
  await auditedTransaction(ctx, async (tx, audit) => {
    const now = ctx.clock();
    const { changes } = await tx.run(`UPDATE operators SET password_hash = ?, updated_at = ?${role ? ', role = ?' : ''} WHERE name = ?`,
      role ? [hash, now, role, name] : [hash, now, name]);
    if (changes === 0) throw new BackendError('NOT_FOUND', `no operator ${name}`);
    await tx.run('DELETE FROM console_sessions WHERE operator = ?', [name]);
    await audit({ actor, action: 'operator.passwd', subject: operatorActor(name), detail: role ? { role } : {} });
  });
}

/**
 * The operator when name and password match an enabled operator, else undefined. Always
 * spends one scrypt derivation, whether or not the name exists.
 */
export async function authenticateOperator(ctx: BackendContext, name: string, password: string): Promise<OperatorView | undefined> {
  const row = OPERATOR_NAME_PATTERN.test(name) ? await ctx.db.get<OperatorRow>('SELECT * FROM operators WHERE name = ?', [name]) : undefined;
  const ok = await verifyPassword(password, row?.password_hash);
  if (!ok || !row || row.disabled_at !== null) return undefined;
  return { name: row.name, role: row.role, createdAt: row.created_at, disabledAt: null };
}
