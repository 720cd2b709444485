/**
 * The console's one way to a user's app factor and its enrolment state: the active app, else a
 * pending enrolment waiting for its first code (service/users.ts describeUser decides which).
 */
import { describeUser } from '../service/users.js';
import type { BackendContext } from '../service/context.js';

export interface AppFactorView {
  id: string;
  label: string | null;
  state: 'active' | 'pending';
  algorithm: string;
  digits: number;
  period: number;
  createdAt: number;
  /** When a pending enrolment lapses; null when active. */
  expiresAt: number | null;
}

export async function readAppState(ctx: BackendContext, user: string): Promise<AppFactorView | null> {
  const { app } = await describeUser(ctx, user);
  return app === null ? null : { id: app.id, label: app.label, state: app.state, algorithm: app.algorithm, digits: app.digits, period: app.period, createdAt: app.createdAt, expiresAt: app.expiresAt };
}
