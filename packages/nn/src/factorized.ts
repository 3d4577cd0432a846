// Filled in for issue 21 (canon gaps).
export {};
