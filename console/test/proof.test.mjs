// The console's ledger checks (src/proof.js) against vectors computed here independently with
// node:crypto (hashes, an Ed25519 key, a signed note), against a real hub's output, and against
// tampered copies of both, which must fail.
import assert from 'node:assert/strict';
import { createHash, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { webcrypto } from 'node:crypto';

import {
  auditEntry,
  bytesToHex,
  decodeLeaf,
  hexToBytes,
  leafHash,
  noteKeyId,
  parseCheckpoint,
  ProofError,
  rootFromInclusionProof,
  verifyCheckpointSignature,
} from '../src/proof.js';

const subtle = webcrypto.subtle;

// --- an independent RFC 9162 Merkle tree, straight from §2.1.1 with node:crypto ----------------
const sha = (...parts) => createHash('sha256').update(Buffer.concat(parts.map((p) => Buffer.from(p)))).digest();
const leafOf = (data) => sha([0], data);
const nodeOf = (l, r) => sha([1], l, r);
const largestPowerOfTwoBelow = (n) => 2 ** Math.floor(Math.log2(n - 1));
function mth(leaves) {
  if (leaves.length === 1) return leafOf(leaves[0]);
  const k = largestPowerOfTwoBelow(leaves.length);
  return nodeOf(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}
// PATH(m, D[n]) of RFC 9162 §2.1.3.1.
function path(m, leaves) {
  if (leaves.length === 1) return [];
  const k = largestPowerOfTwoBelow(leaves.length);
  return m < k
    ? [...path(m, leaves.slice(0, k)), mth(leaves.slice(k))]
    : [...path(m - k, leaves.slice(k)), mth(leaves.slice(0, k))];
}

const hex = (b) => Buffer.from(b).toString('hex');

test('RFC 6962 known answer: the leaf hash of the empty string', async () => {
  assert.equal(
    bytesToHex(await leafHash(new Uint8Array(0), subtle)),
    '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  );
});

test('a 3-leaf tree: every inclusion proof folds to the root computed independently', async () => {
  const leaves = ['alpha', 'beta', 'gamma'].map((s) => Buffer.from(s));
  const h = leaves.map(leafOf);
  // Written out by hand for 3 leaves: root = H(1 ‖ H(1 ‖ h0 ‖ h1) ‖ h2).
  const root = nodeOf(nodeOf(h[0], h[1]), h[2]);
  assert.equal(hex(root), hex(mth(leaves)));
  const proofs = [[h[1], h[2]], [h[0], h[2]], [nodeOf(h[0], h[1])]];
  for (let i = 0; i < 3; i++) {
    assert.deepEqual(proofs[i].map(hex), path(i, leaves).map(hex));
    const got = await rootFromInclusionProof(i, 3, new Uint8Array(h[i]), proofs[i].map((p) => new Uint8Array(p)), subtle);
    assert.equal(bytesToHex(got), hex(root), `leaf ${i}`);
  }
});

test('trees of 1 to 20 leaves: every index of every size folds to its root', async () => {
  const all = Array.from({ length: 20 }, (_, i) => Buffer.from(`entry ${i}`));
  for (let n = 1; n <= all.length; n++) {
    const leaves = all.slice(0, n);
    const root = hex(mth(leaves));
    for (let m = 0; m < n; m++) {
      const proof = path(m, leaves).map((p) => new Uint8Array(p));
      const got = await rootFromInclusionProof(m, n, new Uint8Array(leafOf(leaves[m])), proof, subtle);
      assert.equal(bytesToHex(got), root, `index ${m} of ${n}`);
    }
  }
});

test('a tampered or misshapen proof does not fold to the root', async () => {
  const leaves = ['a', 'b', 'c', 'd', 'e'].map((s) => Buffer.from(s));
  const root = hex(mth(leaves));
  const proof = path(2, leaves).map((p) => new Uint8Array(p));
  const start = new Uint8Array(leafOf(leaves[2]));
  const bad = proof.map((p) => p.slice());
  bad[1][0] ^= 1;
  assert.notEqual(bytesToHex(await rootFromInclusionProof(2, 5, start, bad, subtle)), root);
  // The proof of another index, or for another leaf, gives another root.
  assert.notEqual(bytesToHex(await rootFromInclusionProof(3, 5, start, proof, subtle)), root);
  const other = new Uint8Array(leafOf(Buffer.from('x')));
  assert.notEqual(bytesToHex(await rootFromInclusionProof(2, 5, other, proof, subtle)), root);
  await assert.rejects(rootFromInclusionProof(2, 5, start, proof.slice(1), subtle), { reason: 'proof_too_short' });
  await assert.rejects(rootFromInclusionProof(2, 5, start, [...proof, proof[0]], subtle), { reason: 'proof_too_long' });
  await assert.rejects(rootFromInclusionProof(5, 5, start, proof, subtle), { reason: 'index_out_of_range' });
});

// --- a signed checkpoint made here with node:crypto -------------------------------------------
const origin = 'console.test/ledger';
const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' });
const rawKey = publicKey.export({ type: 'spki', format: 'der' }).subarray(12);

function signedNote(treeSize, root, name = origin, key = privateKey) {
  const body = `${origin}\n${treeSize}\n${Buffer.from(root).toString('base64')}\n`;
  // Key id: SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key)[:4] (c2sp.org/signed-note).
  const pub = createPublicKey(key).export({ type: 'spki', format: 'der' }).subarray(12);
  const keyId = sha(Buffer.from(`${name}\n`), [1], pub).subarray(0, 4);
  const sig = sign(null, Buffer.from(body), key);
  return `${body}\n\u2014 ${name} ${Buffer.concat([keyId, sig]).toString('base64')}\n`;
}

test('the signed-note key id and signature verify; any change to the note fails', async () => {
  const root = mth([Buffer.from('a')]);
  const note = signedNote(1, root);
  assert.equal(bytesToHex(await noteKeyId(origin, new Uint8Array(rawKey), subtle)), hex(sha(Buffer.from(`${origin}\n`), [1], rawKey).subarray(0, 4)));
  const cp = parseCheckpoint(note);
  assert.equal(cp.origin, origin);
  assert.equal(cp.treeSize, 1);
  assert.equal(bytesToHex(cp.rootHash), hex(root));
  assert.equal(cp.signedText, note.slice(0, note.indexOf('\n\n') + 1));
  await verifyCheckpointSignature(cp, origin, publicKeyPem, subtle);

  // Another size under the same signature.
  const forged = note.replace(`${origin}\n1\n`, `${origin}\n2\n`);
  await assert.rejects(verifyCheckpointSignature(parseCheckpoint(forged), origin, publicKeyPem, subtle), {
    reason: 'bad_signature',
  });
  // Signed by another key under the right name: its key id is not the ledger key's.
  const stranger = generateKeyPairSync('ed25519').privateKey;
  await assert.rejects(
    verifyCheckpointSignature(parseCheckpoint(signedNote(1, root, origin, stranger)), origin, publicKeyPem, subtle),
    { reason: 'no_signature_by_key' },
  );
  assert.throws(() => parseCheckpoint(note.replace('\n\n', '\n')), ProofError);
  assert.throws(() => parseCheckpoint(`${origin}\n01\n${Buffer.from(root).toString('base64')}\n\n\u2014 x AAAAAAA=\n`), ProofError);
});

// --- whole entries: made here, then from a real hub -------------------------------------------
function entryOf(index, fields) {
  const leaf = Buffer.from(JSON.stringify({ index, ...fields }));
  return { index, ...fields, leaf: leaf.toString('base64'), leaf_hash: hex(leafOf(leaf)) };
}

test('auditEntry: an entry of a 3-leaf tree made here passes every check', async () => {
  const entries = [0, 1, 2].map((i) => entryOf(i, { request_id: `req-${i}`, status: 200, items: ['name'] }));
  const leaves = entries.map((e) => Buffer.from(e.leaf, 'base64'));
  const checkpointText = signedNote(3, mth(leaves));
  const fetchProof = async (index, treeSize) => ({
    index,
    tree_size: treeSize,
    leaf_hash: entries[index].leaf_hash,
    hashes: path(index, leaves).map(hex),
  });
  const { checks, decoded } = await auditEntry({
    entry: entries[2],
    checkpointText,
    publicKey: { origin, public_key_pem: publicKeyPem },
    fetchProof,
    subtle,
  });
  assert.deepEqual(checks.map((c) => [c.id, c.ok]), [
    ['leaf_hash', true],
    ['leaf_fields', true],
    ['signature', true],
    ['covered', true],
    ['inclusion', true],
  ]);
  assert.equal(decoded.request_id, 'req-2');

  // An entry the checkpoint does not cover yet: undecided, and no proof is asked for.
  const later = await auditEntry({
    entry: entryOf(3, { request_id: 'req-3' }),
    checkpointText,
    publicKey: { origin, public_key_pem: publicKeyPem },
    fetchProof: () => assert.fail('no proof for an uncovered entry'),
    subtle,
  });
  assert.deepEqual(later.checks.at(-1), { id: 'covered', ok: null, reason: 'not_covered', values: { tree_size: 3 } });
});

const fixture = JSON.parse(readFileSync(new URL('./fixtures/hub-ledger.json', import.meta.url), 'utf8'));
const fromFixture = (changes = {}) => ({
  entry: { ...fixture.entry, ...changes.entry },
  checkpointText: changes.checkpoint ?? fixture.checkpoint,
  publicKey: fixture.public_key,
  fetchProof: async () => ({ ...fixture.proof, ...changes.proof }),
  subtle,
});
const verdicts = (checks) => Object.fromEntries(checks.map((c) => [c.id, c.ok]));

test("auditEntry: a real hub's entry, checkpoint, key and proof pass every check", async () => {
  const { checks, decoded } = await auditEntry(fromFixture());
  assert.deepEqual(verdicts(checks), { leaf_hash: true, leaf_fields: true, signature: true, covered: true, inclusion: true });
  assert.equal(decoded.request_id, fixture.entry.request_id);
  assert.equal(decodeLeaf(fixture.entry.leaf).index, fixture.entry.index);
});

test("auditEntry: tampered copies of the hub's data fail the right check", async () => {
  // A field shown differently from the leaf (as when a database column was edited).
  let r = await auditEntry(fromFixture({ entry: { status: 299 } }));
  assert.deepEqual(verdicts(r.checks), { leaf_hash: true, leaf_fields: false, signature: true, covered: true, inclusion: true });
  assert.equal(r.checks[1].values.fields, 'status');

  // A rewritten leaf with its hash recomputed: the leaf is no longer the one in the tree.
  const decoded = decodeLeaf(fixture.entry.leaf);
  const rewritten = Buffer.from(JSON.stringify({ ...decoded, status: 403 }));
  r = await auditEntry(
    fromFixture({ entry: { leaf: rewritten.toString('base64'), leaf_hash: hex(leafOf(rewritten)), status: 403 } }),
  );
  assert.equal(verdicts(r.checks).leaf_hash, true);
  assert.equal(verdicts(r.checks).inclusion, false);

  // A leaf hash that is not the hash of the leaf.
  r = await auditEntry(fromFixture({ entry: { leaf_hash: '00'.repeat(32) } }));
  assert.equal(verdicts(r.checks).leaf_hash, false);
  assert.equal(r.checks[0].reason, 'hash_mismatch');

  // Another root in the checkpoint: the signature fails, and the proof no longer reaches it.
  const lines = fixture.checkpoint.split('\n');
  const root = Buffer.from(lines[2], 'base64');
  root[0] ^= 0xff;
  lines[2] = root.toString('base64');
  r = await auditEntry(fromFixture({ checkpoint: lines.join('\n') }));
  assert.equal(verdicts(r.checks).signature, false);
  assert.equal(verdicts(r.checks).inclusion, false);

  // A proof hash flipped.
  const hashes = fixture.proof.hashes.map((h, i) => (i === 0 ? `${h[0] === 'f' ? 'e' : 'f'}${h.slice(1)}` : h));
  r = await auditEntry(fromFixture({ proof: { hashes } }));
  assert.deepEqual(r.checks.find((c) => c.id === 'inclusion').reason, 'root_mismatch');
});

test('hex and base64 helpers refuse what is not theirs', () => {
  assert.throws(() => hexToBytes('abc'), { reason: 'bad_hex' });
  assert.throws(() => hexToBytes('zz'), { reason: 'bad_hex' });
  assert.throws(() => decodeLeaf('!!!'), { reason: 'bad_base64' });
  assert.throws(() => decodeLeaf(Buffer.from('[1]').toString('base64')), { reason: 'bad_leaf' });
});
