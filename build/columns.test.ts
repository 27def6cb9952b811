import { describe, expect, it } from 'vitest';
import { columnsFileParts, IntColumnBuilder, readColumnsFile, TextColumn, TextColumnBuilder } from './columns.ts';

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

    const bytes = Buffer.concat(columnsFileParts({ header: { format: 1, name: 'ünïcode' }, texts: { words: made.text }, ints: { wordsAt: made.at } }));
    const read = readColumnsFile(bytes)!;
    expect(read.header).toEqual({ format: 1, name: 'ünïcode' });
    const column = new TextColumn(read.texts.words!, read.ints.wordsAt!);
    expect(column.wellFormed()).toBe(true);
    expect(Array.from({ length: column.length }, (_, i) => column.get(i))).toEqual(['new', '', 'βeta', 'gamma\n', 'last']);
    // A header turned down: no column is read.
    expect(readColumnsFile(bytes, (header) => header.format === 2)).toBeUndefined();
  });

  it('grow past their first room, and refuse files and offsets they did not write', () => {
    const ints = new IntColumnBuilder();
    for (let i = 0; i < 5000; i++) ints.add(i * 3 - 7);
    const values = ints.done();
    expect(values.length).toBe(5000);
    const bytes = Buffer.concat(columnsFileParts({ header: {}, texts: { empty: '' }, ints: { values } }));
    expect([...readColumnsFile(bytes)!.ints.values!]).toEqual([...values]);
    // Read from bytes that do not start on a multiple of four in memory: copied, not viewed.
    const shifted = Buffer.concat([Buffer.from([0]), bytes]).subarray(1);
    expect(shifted.byteOffset % 4).not.toBe(0);
    expect([...readColumnsFile(shifted)!.ints.values!]).toEqual([...values]);
    expect(readColumnsFile(bytes)!.texts.empty).toBe('');

    // Cut short, grown, without its first line's end, or with sizes that are not sizes.
    expect(readColumnsFile(bytes.subarray(0, -1))).toBeUndefined();
    expect(readColumnsFile(Buffer.concat([bytes, Buffer.from([0])]))).toBeUndefined();
    expect(readColumnsFile(Buffer.from('{"columns":'))).toBeUndefined();
    expect(readColumnsFile(Buffer.from('{"columns":{"texts":[["a",-1]],"ints":[]}}\n'))).toBeUndefined();
    expect(() => readColumnsFile(Buffer.from('{"columns":\n'))).toThrow();
    // Offsets that run backwards, or past the text, or do not start at 0.
    expect(new TextColumn('abc', Int32Array.from([0, 2, 1, 3])).wellFormed()).toBe(false);
    expect(new TextColumn('abc', Int32Array.from([0, 4])).wellFormed()).toBe(false);
    expect(new TextColumn('abc', Int32Array.from([1, 3])).wellFormed()).toBe(false);
    expect(new TextColumn('abc', Int32Array.from([0, 1, 3])).get(1)).toBe('bc');
  });
});
