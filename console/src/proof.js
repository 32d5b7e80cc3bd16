// What an outside auditor checks about one share-ledger entry, done with WebCrypto alone so the
// browser needs to trust nothing the hub computed (docs/ledger.md):
//   - leaf_hash == SHA-256(0x00 ‖ leaf), and the leaf decodes to the entry's fields;
//   - the checkpoint (a C2SP tlog-checkpoint signed note) is signed with the ledger's Ed25519 key;
//   - the RFC 9162 inclusion proof folds from the leaf hash to the checkpoint's root.
// No DOM, no fetch: the same module runs in Node (console/test/proof.test.mjs). Failures carry a
// `reason` code that the UI translates (i18n.js, "reason.*").

const encoder = new TextEncoder();

/** An expected failure of a check, with a reason code and optional values to show. */
export class ProofError extends Error {
  constructor(reason, values = {}) {
    super(`${reason}${Object.keys(values).length ? ` ${JSON.stringify(values)}` : ''}`);
    this.reason = reason;
    this.values = values;
  }
}

function subtleOf(subtle) {
  const s = subtle ?? globalThis.crypto?.subtle;
  // crypto.subtle exists only in secure contexts (HTTPS or localhost).
  if (!s) throw new ProofError('no_webcrypto');
  return s;
}

// --- bytes -------------------------------------------------------------------------------------

export function base64ToBytes(text) {
  let binary;
  try {
    binary = atob(String(text).trim());
  } catch {
    throw new ProofError('bad_base64');
  }
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

export function bytesToBase64(bytes) {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

export function hexToBytes(hex) {
  if (typeof hex !== 'string' || !/^(?:[0-9a-fA-F]{2})*$/.test(hex)) throw new ProofError('bad_hex');
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function bytesToHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function concatBytes(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function equalBytes(a, b) {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

// --- hashes (RFC 9162 §2.1.1) ------------------------------------------------------------------

export async function sha256(bytes, subtle) {
  return new Uint8Array(await subtleOf(subtle).digest('SHA-256', bytes));
}

/** SHA-256(0x00 ‖ leaf): the hash of a leaf's exact bytes. */
export function leafHash(leaf, subtle) {
  return sha256(concatBytes(Uint8Array.of(0), leaf), subtle);
}

/** SHA-256(0x01 ‖ left ‖ right): an interior node. */
export function nodeHash(left, right, subtle) {
  return sha256(concatBytes(Uint8Array.of(1), left, right), subtle);
}

/**
 * The root that an inclusion proof for leaf `index` of a tree of `treeSize` leaves leads to
 * (RFC 9162 §2.1.3.2). BigInt, because JavaScript's bitwise operators stop at 32 bits.
 */
export async function rootFromInclusionProof(index, treeSize, leafHashBytes, proof, subtle) {
  let fn = BigInt(index);
  let sn = BigInt(treeSize) - 1n;
  if (fn < 0n || fn > sn) throw new ProofError('index_out_of_range', { index, tree_size: treeSize });
  let r = leafHashBytes;
  for (const p of proof) {
    if (sn === 0n) throw new ProofError('proof_too_long');
    if ((fn & 1n) === 1n || fn === sn) {
      r = await nodeHash(p, r, subtle);
      // A right edge with no sibling at this level: climb until this node is a right child.
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      r = await nodeHash(r, p, subtle);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) throw new ProofError('proof_too_short');
  return r;
}

// --- signed notes (c2sp.org/signed-note, c2sp.org/tlog-checkpoint) ----------------------------

const SIGNATURE_PREFIX = '\u2014 '; // "— ": an em dash and a space

/**
 * Splits a checkpoint note into its signed text (everything up to and including the newline
 * before the blank line), its three checkpoint lines and its signature lines.
 */
export function parseCheckpoint(text) {
  const split = text.indexOf('\n\n');
  if (split < 0 || !text.endsWith('\n')) throw new ProofError('malformed_checkpoint');
  const signedText = text.slice(0, split + 1);
  const lines = signedText.slice(0, -1).split('\n');
  if (lines.length < 3) throw new ProofError('malformed_checkpoint');
  const [origin, sizeLine, rootLine] = lines;
  if (!origin || !/^(?:0|[1-9][0-9]*)$/.test(sizeLine)) throw new ProofError('malformed_checkpoint');
  const treeSize = Number(sizeLine);
  if (!Number.isSafeInteger(treeSize)) throw new ProofError('malformed_checkpoint');
  const rootHash = base64ToBytes(rootLine);
  if (rootHash.length !== 32) throw new ProofError('malformed_checkpoint');

  const signatures = [];
  for (const line of text.slice(split + 2, -1).split('\n')) {
    if (!line.startsWith(SIGNATURE_PREFIX)) throw new ProofError('malformed_checkpoint');
    const [name, b64, ...rest] = line.slice(SIGNATURE_PREFIX.length).split(' ');
    if (!name || !b64 || rest.length) throw new ProofError('malformed_checkpoint');
    const blob = base64ToBytes(b64);
    if (blob.length < 5) throw new ProofError('malformed_checkpoint');
    signatures.push({ name, keyId: blob.slice(0, 4), signature: blob.slice(4) });
  }
  if (!signatures.length) throw new ProofError('malformed_checkpoint');
  return { origin, treeSize, rootHash, extensions: lines.slice(3), signedText, signatures };
}

// The DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410): the raw key's 32 bytes follow.
const ED25519_SPKI_PREFIX = hexToBytes('302a300506032b6570032100');

/** The SPKI DER of a "PUBLIC KEY" PEM, and the raw 32-byte Ed25519 key inside it. */
export function parseEd25519Pem(pem) {
  const match = /-----BEGIN PUBLIC KEY-----([\s\S]*?)-----END PUBLIC KEY-----/.exec(pem ?? '');
  if (!match) throw new ProofError('bad_public_key');
  const der = base64ToBytes(match[1].replace(/\s+/g, ''));
  if (der.length !== 44 || !equalBytes(der.slice(0, 12), ED25519_SPKI_PREFIX)) {
    throw new ProofError('bad_public_key');
  }
  return { der, raw: der.slice(12) };
}

/** A signed-note key id: the first 4 bytes of SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key). */
export async function noteKeyId(name, rawKey, subtle) {
  const digest = await sha256(concatBytes(encoder.encode(`${name}\n`), Uint8Array.of(1), rawKey), subtle);
  return digest.slice(0, 4);
}

/**
 * Verifies the note's signature by the key `name` (the ledger's origin) with the Ed25519 key in
 * `publicKeyPem`. Throws a ProofError when there is no such signature or it does not verify.
 */
export async function verifyCheckpointSignature(checkpoint, name, publicKeyPem, subtle) {
  const s = subtleOf(subtle);
  const key = parseEd25519Pem(publicKeyPem);
  const keyId = await noteKeyId(name, key.raw, s);
  const sig = checkpoint.signatures.find((x) => x.name === name && equalBytes(x.keyId, keyId));
  if (!sig) throw new ProofError('no_signature_by_key', { name, key_id: bytesToHex(keyId) });
  if (!(await ed25519Verify(key.der, sig.signature, encoder.encode(checkpoint.signedText), s))) {
    throw new ProofError('bad_signature');
  }
  return { keyId: bytesToHex(keyId) };
}

/** Whether `signature` (64 bytes) is the Ed25519 signature of `message` by the SPKI DER key. */
async function ed25519Verify(der, signature, message, s) {
  if (signature.length !== 64) return false;
  let cryptoKey;
  try {
    cryptoKey = await s.importKey('spki', der, { name: 'Ed25519' }, false, ['verify']);
  } catch {
    throw new ProofError('no_ed25519');
  }
  return s.verify({ name: 'Ed25519' }, cryptoKey, signature, message);
}

// --- issued reports (通报) ------------------------------------------------------------------------

/**
 * Checks an issued report's JSON bytes as `hubctl report verify` does: their SHA-256 against the
 * issue's `sha256` (hex), and the issue's `signature` (base64 Ed25519 over the bytes) against the
 * ledger's public key. → {sha256: computed hex, sha256Ok, signatureOk}; a malformed signature or
 * key, or a browser without Ed25519, throws a ProofError.
 */
export async function verifyIssuedReport({ bytes, sha256Hex, signature, publicKeyPem, subtle }) {
  const s = subtleOf(subtle);
  const digest = bytesToHex(await sha256(bytes, s));
  const key = parseEd25519Pem(publicKeyPem);
  const signatureOk = await ed25519Verify(key.der, base64ToBytes(signature), bytes, s);
  return { sha256: digest, sha256Ok: digest === String(sha256Hex).toLowerCase(), signatureOk };
}

// --- entries -----------------------------------------------------------------------------------

/** The entry a leaf holds: its base64 decoded as UTF-8 JSON. */
export function decodeLeaf(leafBase64) {
  const bytes = base64ToBytes(leafBase64);
  let value;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new ProofError('bad_leaf');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ProofError('bad_leaf');
  return value;
}

function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** The fields of `decoded` (the leaf) that the listed entry shows differently. */
export function fieldsDifferingFromLeaf(entry, decoded) {
  return Object.keys(decoded).filter((k) => canonical(entry[k]) !== canonical(decoded[k]));
}

/**
 * Runs every check on one entry, in order, and returns them as
 *   [{id, ok: true|false|null, reason?, values}]   (ok null: could not be decided yet)
 * plus the decoded leaf and the parsed checkpoint. `fetchProof(index, treeSize)` returns the
 * hub's `{index,tree_size,leaf_hash,hashes}`; it is only called when the checkpoint covers the
 * entry. `publicKey` is the hub's `{origin, public_key_pem}`.
 */
export async function auditEntry({ entry, checkpointText, publicKey, fetchProof, subtle }) {
  const checks = [];
  const run = async (id, fn) => {
    try {
      const values = (await fn()) ?? {};
      checks.push({ id, ok: true, values });
      return true;
    } catch (e) {
      if (!(e instanceof ProofError)) throw e;
      checks.push({ id, ok: false, reason: e.reason, values: e.values });
      return false;
    }
  };

  // 1. The leaf: its hash, and the fields it holds.
  let leafBytes = null;
  let decoded = null;
  await run('leaf_hash', async () => {
    leafBytes = base64ToBytes(entry.leaf);
    const computed = bytesToHex(await leafHash(leafBytes, subtle));
    if (computed !== String(entry.leaf_hash).toLowerCase()) {
      throw new ProofError('hash_mismatch', { computed, expected: entry.leaf_hash });
    }
    return { computed };
  });
  await run('leaf_fields', async () => {
    decoded = decodeLeaf(entry.leaf);
    const differing = fieldsDifferingFromLeaf(entry, decoded);
    if (differing.length) throw new ProofError('fields_differ', { fields: differing.join(', ') });
    if (decoded.index !== entry.index) throw new ProofError('fields_differ', { fields: 'index' });
  });

  // 2. The checkpoint: its signature by the ledger's key.
  let checkpoint = null;
  await run('signature', async () => {
    checkpoint = parseCheckpoint(checkpointText);
    if (checkpoint.origin !== publicKey.origin) {
      throw new ProofError('origin_mismatch', { checkpoint: checkpoint.origin, key: publicKey.origin });
    }
    const { keyId } = await verifyCheckpointSignature(checkpoint, publicKey.origin, publicKey.public_key_pem, subtle);
    return { origin: checkpoint.origin, tree_size: checkpoint.treeSize, key_id: keyId };
  });
  if (!checkpoint) return { checks, decoded, checkpoint };

  // 3. Coverage, then the inclusion proof up to the signed root.
  if (checkpoint.treeSize <= entry.index) {
    checks.push({ id: 'covered', ok: null, reason: 'not_covered', values: { tree_size: checkpoint.treeSize } });
    return { checks, decoded, checkpoint };
  }
  checks.push({ id: 'covered', ok: true, values: { tree_size: checkpoint.treeSize } });
  const proof = await fetchProof(entry.index, checkpoint.treeSize);
  await run('inclusion', async () => {
    if (String(proof.leaf_hash).toLowerCase() !== String(entry.leaf_hash).toLowerCase()) {
      throw new ProofError('proof_leaf_mismatch', { proof: proof.leaf_hash, entry: entry.leaf_hash });
    }
    const hashes = proof.hashes.map(hexToBytes);
    if (hashes.some((h) => h.length !== 32)) throw new ProofError('bad_hex');
    const start = leafBytes ? await leafHash(leafBytes, subtle) : hexToBytes(entry.leaf_hash);
    const root = await rootFromInclusionProof(entry.index, checkpoint.treeSize, start, hashes, subtle);
    const expected = bytesToHex(checkpoint.rootHash);
    if (bytesToHex(root) !== expected) {
      throw new ProofError('root_mismatch', { computed: bytesToHex(root), signed: expected });
    }
    return { root: expected, proof_length: hashes.length };
  });
  return { checks, decoded, checkpoint };
}
