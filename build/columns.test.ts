import { describe, expect, it } from 'vitest';
import { columnFromJson, columnToJson, IntColumnBuilder, intsFromText, intsToText, TextColumnBuilder } from './columns.ts';

describe('columns', () => {
  it('copy runs of another column with their offsets, and read back what they wrote', () => {
    const first = new TextColumnBuilder();
    for (const value of ['alpha', '', 'βeta', 'gamma\n', 'delta']) first.add(value);
    const source = first.done();
    expect(Array.from({ length: source.length }, (_, i) => source.get(i))).toEqual(['alpha', '', 'βeta', 'gamma\n', 'delta']);

    const second = new TextColumnBuilder();
    second.add('new');
    second.addRun(source, 1, 4);
    second.addRun(source, 0, 0);
    second.add('last');
    const made = second.done();
    expect(Array.from({ length: made.length }, (_, i) => made.get(i))).toEqual(['new', '', 'βeta', 'gamma\n', 'last']);
    expect(made.run(1, 4)).toBe('βetagamma\n');

    const read = columnFromJson(JSON.parse(JSON.stringify(columnToJson(made))));
    expect(read && Array.from({ length: read.length }, (_, i) => read.get(i))).toEqual(['new', '', 'βeta', 'gamma\n', 'last']);
  });

  it('grow past their first room, and refuse texts they did not write', () => {
    const ints = new IntColumnBuilder();
    for (let i = 0; i < 5000; i++) ints.add(i * 3 - 7);
    const values = ints.done();
    expect(values.length).toBe(5000);
    expect([...intsFromText(intsToText(values))!]).toEqual([...values]);

    expect(intsFromText('AAA')).toBeUndefined();
    expect(intsFromText(12)).toBeUndefined();
    // Offsets that run backwards, or past the text, or do not start at 0.
    expect(columnFromJson(['abc', intsToText(Int32Array.from([0, 2, 1, 3]))])).toBeUndefined();
    expect(columnFromJson(['abc', intsToText(Int32Array.from([0, 4]))])).toBeUndefined();
    expect(columnFromJson(['abc', intsToText(Int32Array.from([1, 3]))])).toBeUndefined();
    expect(columnFromJson(['abc', intsToText(Int32Array.from([0, 1, 3]))])?.get(1)).toBe('bc');
  });
});
