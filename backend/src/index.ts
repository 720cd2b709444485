/**
 * @fobkit/backend: the reference validation service. The library surface is what the CLI,
 * tests, the benchmark and in-package tools (seed-file import/export) build on.
 */
export { BACKEND_VERSION } from './version.js';
export { BackendError, isBackendError, HTTP_STATUS, type BackendErrorCode } from './errors.js';
export { openBackend, defaultKekFile, systemClock, DEFAULT_SQLITE_PATH, type Backend, type OpenBackendOptions } from './openBackend.js';
export { createHttpServer, DEFAULT_MAX_BODY_BYTES, type HttpServerOptions } from './http/createHttpServer.js';
export { startServer, type StartServerOptions, type RunningServer } from './http/startServer.js';
export { bodies } from './http/bodies.js';
export type { Route, RouteRequest } from './http/routes.js';
export { DEFAULT_POLICY, type BackendContext, type BackendPolicy, type Clock } from './service/context.js';
export { ROLES, type Role } from './crypto/apiKeys.js';
export { createApiKey, revokeApiKey, listApiKeys, authenticateApiKey } from './service/apiKeyStore.js';
export { reserveSerials } from './service/serials.js';
export { getRegistrationKey } from './service/registrationKey.js';
export {
  registerToken, importToken, exportTokenSecret, activateToken, assignToken, unbindToken, revokeToken, setTokenEnabled, describeToken,
  type RegisterTokenInput, type ImportTokenInput, type StoreTokenResult, type TokenView, type OtpProfile,
} from './service/tokens.js';
export { checkCode, resyncToken, type CheckResult, type ResyncResult } from './service/support.js';
export { enrolApp, revokeApp, describeUser, unlockUser, type EnrolAppResult, type UserView, type UserAppView } from './service/users.js';
export { validateCode, decideCode, type ValidateResult, type ValidateFailure, type ValidateOptions, type ValidateOutcome } from './service/validate.js';
export { createAuthLog, AUTH_LOG_MAX_LIMIT, type AuthLog, type AuthLogEntry, type AuthFactor } from './audit/authLog.js';
export { rotateKek, type RotateKekResult } from './service/rotateKek.js';
export { verifyAuditChain, type AuditVerifyResult } from './audit/auditLog.js';
export {
  addOperator, listOperators, disableOperator, setOperatorPassword, authenticateOperator, operatorActor, OPERATOR_ROLES,
  type OperatorRole, type OperatorView,
} from './service/operatorStore.js';
export { createConsoleHandler, SESSION_COOKIE, type ConsoleOptions, type ConsoleHandler } from './console/createConsoleHandler.js';
export type { TokenState } from './store/rows.js';
