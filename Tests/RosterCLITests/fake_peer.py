"""A hostile peer for the federation tests: speaks the sync API over TLS with a
real node's certificate, and lies in the way its mode says.

  lies   answers every push 'applied' with a clock that never moves
  more   answers every pull with the same page and 'Roster-More: true'
  hang   accepts requests and never answers

Usage: fake_peer.py MODE CERT KEY PORT [PAGE]   (PORT 0: a free one, printed as 'ready PORT')
"""
import http.server, json, ssl, sys, time

mode, certificate, key, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
page = open(sys.argv[5], 'rb').read() if len(sys.argv) > 5 else b''


class Peer(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def answer(self, body, content_type, more='false'):
        self.send_response(200)
        self.send_header('Content-Type', content_type)
        self.send_header('Content-Length', str(len(body)))
        self.send_header('Roster-More', more)
        self.send_header('Roster-Clock', '{}')
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
        if mode == 'hang':
            time.sleep(300)
        if self.path == '/v1/sync/pull':
            self.answer(page if mode == 'more' else b'', 'application/x-ndjson', 'true' if mode == 'more' else 'false')
        elif self.path == '/v1/sync/push':
            operations = [json.loads(line) for line in body.splitlines() if line.strip()]
            outcome = 'applied' if mode == 'lies' else 'known'
            results = [{'dot': f"{o['origin']}:{o['seq']}", 'outcome': outcome} for o in operations]
            print('push', len(operations), flush=True)
            self.answer(json.dumps({'clock': {}, 'results': results}).encode(), 'application/json')
        else:
            self.send_response(404)
            self.send_header('Content-Length', '0')
            self.end_headers()

    def log_message(self, *arguments):
        pass


server = http.server.ThreadingHTTPServer(('127.0.0.1', port), Peer)
server.daemon_threads = True
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(certificate, key)
server.socket = context.wrap_socket(server.socket, server_side=True)
print('ready', server.server_address[1], flush=True)
server.serve_forever()
