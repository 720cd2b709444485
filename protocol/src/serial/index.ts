/** Serial numbers with their check digit. */
export * from './serialNumber.js';
