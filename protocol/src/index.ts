/**
 * @fobkit/protocol: the contract the fob and the station share. Everything is also available
 * from its own subpath (`@fobkit/protocol/otp`, `/wire`, `/session`, `/client`, `/formats`,
 * `/serial`).
 */
export * from './errors.js';
export * from './otp/index.js';
export * from './serial/index.js';
export * from './wire/index.js';
export * from './session/index.js';
export * from './client/index.js';
export * from './formats/index.js';
