// Filled in for issue 21.
export {};
