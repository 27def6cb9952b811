import { describe, expect, it } from 'vitest';
import type { BadRow, ImportRow } from './import-subscribers.ts';
import { csvHeader, neutralizeCell, readSubscriberCsv, restoreCell, toCsvLine } from './subscriber-csv.ts';
import type { Subscriber } from './subscriber.ts';

async function read(bytes: Buffer | string, file = 'people.csv') {
  const rows: ImportRow[] = [];
  const bad: BadRow[] = [];
  // Fed in small pieces, as a file stream would, so rows and characters straddle chunks.
  const data = Buffer.from(bytes);
  const chunks = Array.from({ length: Math.ceil(data.length / 7) }, (_, i) => data.subarray(i * 7, i * 7 + 7));
  for await (const item of readSubscriberCsv((async function* () { yield* chunks; })(), file)) {
    if ('reason' in item) bad.push(item);
    else rows.push(item);
  }
  return { rows, bad };
}

function aSubscriber(overrides: Partial<Subscriber> = {}): Subscriber {
  return { id: 1, email: 'ada@example.org', name: 'Ada', state: 'active', source: 'form', token: 'TTTTTTTTTTTT', attributes: {}, createdAt: '2026-03-01T00:00:00.000Z', updatedAt: '2026-03-01T00:00:00.000Z', ...overrides };
}

describe('reading subscriber CSV', () => {
  it('reports each bad row with its line number and keeps the good ones with extra columns as attributes', async () => {
    const { rows, bad } = await read('Email,Name,Company\nada@example.org,Ada,Engines\nnope,Bob,\n"grace@example.org","Grace\nHopper",Navy\n');
    expect(bad).toEqual([{ line: 3, reason: 'email: is not a valid email address' }]);
    expect(rows.map((r) => [r.line, r.email, r.name, r.attributes])).toEqual([
      [2, 'ada@example.org', 'Ada', { company: 'Engines' }],
      [5, 'grace@example.org', 'Grace Hopper', { company: 'Navy' }],
    ]);
  });

  it('keeps UTF-8 names whole, including characters split across read chunks', async () => {
    const { rows } = await read('email,name\nzoe@example.org,Zoë Ünal 山田\n');
    expect(rows[0]?.name).toBe('Zoë Ünal 山田');
  });

  it('refuses a row whose bytes are not UTF-8 with its line number, instead of replacing them', async () => {
    const bytes = Buffer.concat([Buffer.from('email,name\nada@example.org,Ada\nbob@example.org,B'), Buffer.from([0xe9, 0x62]), Buffer.from('\ncy@example.org,Cy\n')]);
    const { rows, bad } = await read(bytes);
    expect(bad).toEqual([{ line: 3, reason: 'name: is not valid UTF-8 (save the file as UTF-8 and import it again)' }]);
    expect(rows.map((r) => r.email)).toEqual(['ada@example.org', 'cy@example.org']);
  });

  it('refuses a file without an email column, naming the columns it found', async () => {
    await expect(read('mail,name\na@example.org,A\n', 'x.csv')).rejects.toThrow(/no "email" column \(found: mail, name\)/);
  });

  it('refuses a file that is not CSV, naming it', async () => {
    await expect(read('email,name\n"ada@example.org,Ada\n', 'broken.csv')).rejects.toThrow(/broken\.csv is not readable CSV/);
  });

  it('refuses a long file without an email column, as soon as it has read the header', async () => {
    const rest = Array.from({ length: 3000 }, (_, i) => `reader${i}@example.org,Reader ${i}\n`).join('');
    await expect(read(`mail,name\n${rest}`, 'long.csv')).rejects.toThrow(/long\.csv has no "email" column/);
    // As one piece too, as a small file is read.
    const whole = readSubscriberCsv((async function* () { yield Buffer.from(`mail,name\n${rest}`); })(), 'long.csv');
    await expect((async () => { for await (const _ of whole); })()).rejects.toThrow(/no "email" column/);
  });

  it('reads a file separated by semicolons or tabs, as spreadsheets in many locales save CSV', async () => {
    const semicolons = await read('\ufeffEmail;Name;City\r\nada@example.org;Okafor, Ada;Lagos\r\nbo@example.org;"Bo; Jr";\r\n');
    expect(semicolons.rows.map((r) => [r.line, r.email, r.name, r.attributes])).toEqual([
      [2, 'ada@example.org', 'Okafor, Ada', { city: 'Lagos' }],
      [3, 'bo@example.org', 'Bo; Jr', {}],
    ]);
    const tabs = await read('email\tname\nada@example.org\tAda, Okafor\n');
    expect(tabs.rows.map((r) => [r.email, r.name])).toEqual([['ada@example.org', 'Ada, Okafor']]);
    // A semicolon inside a quoted column name is not the delimiter.
    const commas = await read('"email","name; full"\nada@example.org,Ada\n');
    expect(commas.rows.map((r) => [r.email, r.attributes])).toEqual([['ada@example.org', { 'name;_full': 'Ada' }]]);
  });

  it('reads another service\'s export: its address column, and a first and a last name as the name', async () => {
    const mailchimp = await read('"Email Address","First Name","Last Name","MEMBER_RATING"\n"ada@example.org","Ada","Okafor",2\n"bo@example.org","","Bo",1\n"cy@example.org","","",3\n');
    expect(mailchimp.bad).toEqual([]);
    expect(mailchimp.rows.map((r) => [r.email, r.name, r.attributes])).toEqual([
      ['ada@example.org', 'Ada Okafor', { member_rating: '2' }],
      ['bo@example.org', 'Bo', { member_rating: '1' }],
      ['cy@example.org', undefined, { member_rating: '3' }],
    ]);
    // An address book's export: the name in the address cell.
    const book = await read('email\n"Ada Okafor <ada@example.org>"\n<bo@example.org>\n');
    expect(book.rows.map((r) => [r.email, r.name])).toEqual([['ada@example.org', 'Ada Okafor'], ['bo@example.org', undefined]]);
    // A file with both keeps its own email and name columns.
    const both = await read('email,e-mail,name,first name\nada@example.org,old@example.org,Ada O.,Ada\n');
    expect(both.rows.map((r) => [r.email, r.name, r.attributes])).toEqual([['ada@example.org', 'Ada O.', { e_mail: 'old@example.org', first_name: 'Ada' }]]);
  });

  it('keeps quotes inside a field that is not quoted, as a hand-written file has them', async () => {
    const { rows, bad } = await read('email,name\ncy@example.org,Cy "Quotes" Ng\ndee@example.org,"Dee ""Dee"" Lo"\n"eve@example.org"x,Eve\n');
    expect(rows.map((r) => r.name)).toEqual(['Cy "Quotes" Ng', 'Dee "Dee" Lo']);
    // A quoted field with more after its closing quote is taken as written: not an address, so that row is reported.
    expect(bad).toEqual([{ line: 4, reason: 'email: is not a valid email address' }]);
  });
});

describe('writing subscriber CSV', () => {
  it('neutralises cells a spreadsheet would run as a formula', () => {
    const line = toCsvLine(aSubscriber({ name: '=HYPERLINK("http://evil.example","x")', source: '@import' }));
    expect(line).toBe(`ada@example.org,"'=HYPERLINK(""http://evil.example"",""x"")",active,'@import,2026-03-01T00:00:00.000Z,2026-03-01T00:00:00.000Z\n`);
    for (const start of ['=', '+', '-', '@', '\t', '\r']) expect(neutralizeCell(`${start}1+1`)).toBe(`'${start}1+1`);
    expect(neutralizeCell('Ada Lovelace')).toBe('Ada Lovelace');
  });

  it('reads what it wrote back unchanged, even cells that started with an apostrophe', async () => {
    const names = ['=HYPERLINK("http://evil.example","x")', "'=already quoted", "'plain", '-5', 'O\'Brien', '+1 555'];
    const csv = csvHeader() + names.map((name, i) => toCsvLine(aSubscriber({ email: `p${i}@example.org`, name }))).join('');
    const { rows } = await read(csv);
    expect(rows.map((r) => r.name)).toEqual(names);
    for (const name of names) expect(restoreCell(neutralizeCell(name))).toBe(name);
  });
});
