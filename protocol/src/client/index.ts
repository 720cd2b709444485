/** FobSession and the Transport contract. */
export {};
