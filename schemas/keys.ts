// Array item keys, as Sanity's own editor makes them: short, random, unique per array.
export function randomKey(): string {
  return Math.random().toString(36).slice(2, 14).padEnd(12, '0');
}
