"""The hub's REST API from the benchmark scripts' Python snippets (bench/*.sh).

client(port) returns api(method, path, token, body=None): one HTTPS request to 127.0.0.1:port
(the hub's self-signed certificate is not checked), its JSON answer, or the script's exit with
the status and body of an error answer.
"""
import json
import ssl
import sys
import urllib.error
import urllib.request


def client(port):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE

    def api(method, path, token, body=None):
        req = urllib.request.Request(f"https://127.0.0.1:{port}{path}", method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": f"Bearer {token}",
                                              "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, context=ctx, timeout=30) as r:
                return json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as e:
            sys.exit(f"{method} {path}: {e.code} {e.read().decode(errors='replace')}")

    return api
