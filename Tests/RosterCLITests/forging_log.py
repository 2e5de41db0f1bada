"""A hostile log server for RemoteAuditTests: it serves a real node's log as a
forger would, over plain HTTP (as a mirror is read). Modes:

  future    the node's checkpoint re-signed with the node's own key, dated 9999
  endless   the same, stating a size of 2^62, every tile past the real log filled
            with copies of its last leaf
  stranger  a checkpoint of size 2^62 signed by a key nobody enrolled

usage: forging_log.py MODE PORT NODE_URL REPLICA_KEY_PEM
"""
import base64, hashlib, http.server, ssl, sys, urllib.request
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

mode, port, node, key_file = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
insecure = ssl.create_default_context()
insecure.check_hostname = False
insecure.verify_mode = ssl.CERT_NONE


def fetch(path):
    with urllib.request.urlopen(node + path, context=insecure) as answer:
        return answer.read()


real = fetch("/log/checkpoint").decode()
lines = real.split("\n\n", 1)[0].split("\n")
origin, size, root = lines[0], int(lines[1]), lines[2]
key = serialization.load_pem_private_key(open(key_file, "rb").read(), None)
if mode == "stranger":
    key = Ed25519PrivateKey.generate()
stated = size if mode == "future" else 2 ** 62
time = "9999-12-31T23:59:59Z" if mode == "future" else lines[3].split(" ", 1)[1]
text = f"{origin}\n{stated}\n{root}\ntime {time}\n"
raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
key_id = hashlib.sha256(origin.encode() + b"\n\x01" + raw).digest()[:4]
note = text + "\n— " + origin + " " + base64.b64encode(key_id + key.sign(text.encode())).decode() + "\n"
last_tile = fetch(f"/log/tile/entries/{size // 256:03d}.p/{size % 256}") if size % 256 else b""
length = int.from_bytes(last_tile[:2], "big") if last_tile else 0
filler = last_tile[: 2 + length] * 256


def tile_index(path):
    groups = path.split("/")
    return int("".join(g.lstrip("x") for g in groups).split(".")[0])


class Forger(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        if self.path == "/log/checkpoint":
            body = note.encode()
        elif self.path.startswith("/log/tile/entries/"):
            index = tile_index(self.path[len("/log/tile/entries/"):])
            body = fetch(self.path) if (index + 1) * 256 <= size else filler
        else:
            body = fetch(self.path)
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", port), Forger).serve_forever()
