/** @fobkit/firmware-sim: a faithful model of the fob's firmware. */
export const FIRMWARE_SIM_VERSION = '0.1.0';
