/**
 * What both ends of a USB serial link share when they open it with `serialport` (an optional
 * peer dependency: only the station and the simulator import this entry, the backend never does).
 */
export { pollerDirectBinding } from './pollerDirectBinding.js';
