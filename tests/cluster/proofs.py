#!/usr/bin/env python3
"""Checks of the ledger's signed checkpoints for the cluster tests (python3 stdlib + openssl).

  proofs.py checkpoint --url URL --token T -o FILE
      saves the hub's latest checkpoint (GET /api/v1/ledger/checkpoint); prints its size
  proofs.py public-key --url URL --token T -o FILE
      saves the ledger's public key (PEM)
  proofs.py consistency --url URL --token T --key PEM EARLIER LATER
      verifies both checkpoints' Ed25519 signatures (openssl), that they have the same origin,
      fetches GET /api/v1/ledger/proof/consistency?first=&second= and verifies it (RFC 9162
      §2.1.4.2) from EARLIER's root to LATER's; prints the sizes and the proof's length; exit 1
      with what differs otherwise.
"""

import argparse
import base64
import hashlib
import http.client
import json
import os
import ssl
import subprocess
import sys
import tempfile
import urllib.parse


def get(url, token, path):
    u = urllib.parse.urlsplit(url)
    ctx = ssl.create_default_context()
    ctx.check_hostname = False  # loopback only
    ctx.verify_mode = ssl.CERT_NONE
    conn = http.client.HTTPSConnection(u.hostname, u.port or 443, timeout=30, context=ctx)
    conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
    r = conn.getresponse()
    body = r.read()
    conn.close()
    if r.status != 200:
        raise SystemExit(f"proofs.py: GET {path} answered {r.status}: {body[:300]!r}")
    return body


class Checkpoint:
    def __init__(self, path):
        with open(path, "rb") as f:
            self.raw = f.read()
        text = self.raw.decode()
        head, sep, sigs = text.partition("\n\n")
        if not sep:
            raise SystemExit(f"proofs.py: {path}: not a signed note (no blank line)")
        lines = head.split("\n")
        if len(lines) < 3:
            raise SystemExit(f"proofs.py: {path}: a checkpoint has origin, size and root")
        self.path = path
        self.origin = lines[0]
        self.size = int(lines[1])
        self.root = base64.b64decode(lines[2])
        self.signed = (head + "\n").encode()
        self.sigs = [s for s in sigs.split("\n") if s]

    def verify(self, key_pem):
        """The Ed25519 signature of the line whose name is the origin; '' when good."""
        for line in self.sigs:
            parts = line.split(" ")
            if len(parts) == 3 and parts[0] == "\u2014" and parts[1] == self.origin:
                sig = base64.b64decode(parts[2])[4:]
                with tempfile.TemporaryDirectory() as d:
                    body, sigf = os.path.join(d, "body"), os.path.join(d, "sig")
                    with open(body, "wb") as f:
                        f.write(self.signed)
                    with open(sigf, "wb") as f:
                        f.write(sig)
                    r = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey",
                                        key_pem, "-rawin", "-in", body, "-sigfile", sigf],
                                       capture_output=True, text=True, check=False)
                    return "" if r.returncode == 0 else f"bad signature: {r.stdout}{r.stderr}"
        return f"no signature by {self.origin}"


def node(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def verify_consistency(first, second, first_hash, second_hash, proof):
    """RFC 9162 §2.1.4.2; returns '' when the proof holds, else why not."""
    if first > second:
        return f"first {first} > second {second}"
    if first == second:
        if proof:
            return "a proof between equal sizes must be empty"
        return "" if first_hash == second_hash else "equal sizes, different roots"
    if first == 0:
        return "" if not proof else "a proof from the empty tree must be empty"
    if not proof:
        return "empty proof"
    path = list(proof)
    if first & (first - 1) == 0:  # an exact power of 2
        path.insert(0, first_hash)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return "proof too long"
        if fn & 1 or fn == sn:
            fr = node(c, fr)
            sr = node(c, sr)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        return "proof too short"
    if fr != first_hash:
        return f"the proof gives first root {fr.hex()}, the checkpoint says {first_hash.hex()}"
    if sr != second_hash:
        return f"the proof gives second root {sr.hex()}, the checkpoint says {second_hash.hex()}"
    return ""


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("checkpoint", "public-key"):
        s = sub.add_parser(name)
        s.add_argument("--url", required=True)
        s.add_argument("--token", required=True)
        s.add_argument("-o", dest="out", required=True)
    c = sub.add_parser("consistency")
    c.add_argument("--url", required=True)
    c.add_argument("--token", required=True)
    c.add_argument("--key", required=True)
    c.add_argument("earlier")
    c.add_argument("later")
    a = p.parse_args()
    if a.cmd == "checkpoint":
        body = get(a.url, a.token, "/api/v1/ledger/checkpoint")
        with open(a.out, "wb") as f:
            f.write(body)
        print(Checkpoint(a.out).size)
        return 0
    if a.cmd == "public-key":
        key = json.loads(get(a.url, a.token, "/api/v1/ledger/public-key"))
        with open(a.out, "w", encoding="utf-8") as f:
            f.write(key["public_key_pem"])
        return 0
    first, second = Checkpoint(a.earlier), Checkpoint(a.later)
    why = []
    for cp in (first, second):
        bad = cp.verify(a.key)
        if bad:
            why.append(f"{cp.path} (size {cp.size}): {bad}")
    if first.origin != second.origin:
        why.append(f"origins differ: {first.origin} and {second.origin}")
    proof = json.loads(get(a.url, a.token, f"/api/v1/ledger/proof/consistency?first={first.size}"
                                           f"&second={second.size}"))
    hashes = [bytes.fromhex(h) for h in proof.get("hashes", [])]
    if proof.get("first") != first.size or proof.get("second") != second.size:
        why.append(f"the proof is between {proof.get('first')} and {proof.get('second')}")
    bad = verify_consistency(first.size, second.size, first.root, second.root, hashes)
    if bad:
        why.append(f"consistency {first.size} -> {second.size}: {bad}")
    if why:
        for w in why:
            print(f"proofs.py: {w}", file=sys.stderr)
        return 1
    print(f"consistent: checkpoint {first.size} -> {second.size}, both signatures good, "
          f"proof of {len(hashes)} hashes verified")
    return 0


if __name__ == "__main__":
    sys.exit(main())
