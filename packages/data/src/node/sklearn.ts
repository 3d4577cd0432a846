// Filled in by the zoo work of this wave (see the package README).
export {};
