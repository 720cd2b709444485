/** The wire format: frames, messages, constants. */
export {};
