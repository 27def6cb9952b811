// The local Content Lake speaks HTTP/2, which browsers only use over TLS (the Studio
// holds about eight event streams open; over HTTP/1.1's six connections per host the
// document form hangs). newsdesk makes its own certificate authority once, keeps it in
// the data folder, and signs a certificate for the lake's host names with it, as mkcert
// does; the editor trusts that authority once and every later certificate just works.
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { createCA, createCert } from 'mkcert';

export interface LakeTls {
  key: string;
  cert: string;
  /** The authority to trust: its PEM file, for the one-line instruction. */
  caFile: string;
}

/** Days; browsers refuse server certificates valid for much longer than a year. */
const certValidityDays = 365;
const caValidityDays = 3650;
/** A certificate this close to expiry is replaced at start-up. */
const renewWithinMs = 30 * 24 * 3600 * 1000;

/**
 * Loads the lake's certificate from `dir`, creating the authority and the certificate
 * when missing, expiring or not covering every name in `hosts`.
 */
export async function loadLakeTls(dir: string, hosts: string[], now: Date = new Date()): Promise<LakeTls> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const files = {
    caKey: path.join(dir, 'ca-key.pem'),
    caCert: path.join(dir, 'ca.pem'),
    key: path.join(dir, 'localhost-key.pem'),
    cert: path.join(dir, 'localhost.pem'),
  };
  let ca = await readPair(files.caKey, files.caCert);
  if (!ca || !isValid(ca.cert, now)) {
    ca = await createCA({
      // A name of its own per installation: browsers reject two authorities with the
      // same name that hand out the same serial numbers.
      organization: `newsdesk local CA ${Math.random().toString(36).slice(2, 8)}`,
      countryCode: 'ZZ',
      state: 'Local',
      locality: 'This computer',
      validity: caValidityDays,
    });
    await writePrivate(files.caKey, ca.key);
    await fs.writeFile(files.caCert, ca.cert);
    await fs.rm(files.cert, { force: true });
  }
  let leaf = await readPair(files.key, files.cert);
  if (!leaf || !isValid(leaf.cert, now) || !covers(leaf.cert, hosts) || !issuedBy(leaf.cert, ca.cert)) {
    leaf = await createCert({ ca, domains: [...new Set(hosts)], validity: certValidityDays, organization: 'newsdesk' });
    await writePrivate(files.key, leaf.key);
    await fs.writeFile(files.cert, leaf.cert);
  }
  return { key: leaf.key, cert: `${leaf.cert.trim()}\n${ca.cert.trim()}\n`, caFile: files.caCert };
}

/** One line telling the editor how to make their browser trust the authority. */
export function trustInstruction(caFile: string, platform: NodeJS.Platform = process.platform): string {
  const quoted = JSON.stringify(caFile);
  switch (platform) {
    case 'darwin':
      return `Trust the local certificate once: sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain ${quoted}`;
    case 'win32':
      return `Trust the local certificate once: certutil -addstore -user Root ${quoted}`;
    default:
      return `Trust the local certificate once: certutil -d sql:$HOME/.pki/nssdb -A -t C,, -n newsdesk -i ${quoted} (Chromium; Firefox: Settings › Certificates › Import)`;
  }
}

async function readPair(keyFile: string, certFile: string): Promise<{ key: string; cert: string } | undefined> {
  try {
    const [key, cert] = await Promise.all([fs.readFile(keyFile, 'utf8'), fs.readFile(certFile, 'utf8')]);
    new X509Certificate(cert);
    return { key, cert };
  } catch {
    return undefined;
  }
}

function isValid(pem: string, now: Date): boolean {
  const cert = new X509Certificate(pem);
  return new Date(cert.validFrom) <= now && new Date(cert.validTo).getTime() - now.getTime() > renewWithinMs;
}

function covers(pem: string, hosts: string[]): boolean {
  const cert = new X509Certificate(pem);
  return hosts.every((host) => (host.includes(':') || /^\d+\.\d+\.\d+\.\d+$/.test(host) ? cert.checkIP(host) : cert.checkHost(host)) !== undefined);
}

function issuedBy(pem: string, caPem: string): boolean {
  return new X509Certificate(pem).checkIssued(new X509Certificate(caPem));
}

async function writePrivate(file: string, content: string): Promise<void> {
  await fs.writeFile(file, content, { mode: 0o600 });
}
