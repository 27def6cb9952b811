/** Sets when V8 optimises a function with TurboFan, for the whole process (see v8-tiering.js). */
export function optimiseLater(): void;
