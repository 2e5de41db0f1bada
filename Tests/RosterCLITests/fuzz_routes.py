"""Seeded fuzzing of every route of a running node, as a pinned peer would reach it.

Every answer must be a 2xx or 4xx with a JSON error body: never a 5xx, never a
dropped connection for a well-formed HTTP request. Prints one line per status
class and exits 1 on the first broken promise.

Usage: fuzz_routes.py PORT CERT KEY OPS_FILE SEED COUNT [CHECKPOINT_FILE]

CHECKPOINT_FILE is a peer's signed checkpoint, which the witness route cosigns
(mangled, it must be refused); without it, the node's own is sent.
"""
import http.client, json, random, re, socket, ssl, sys

port, certificate, key, ops_file, seed, count = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6])
rng = random.Random(seed)
lines = [line for line in open(ops_file, 'rb').read().splitlines() if line.strip()]
context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE
context.load_cert_chain(certificate, key)
hostile = [b'2300-01-01T00:00:00Z', b'9223372036854775808', b'-1', b'0', b'1e999', b'""', b'null', b'[]', b'{}',
           b'"\\ud800"', b'"' + b'a' * 70000 + b'"', b'kz-mvd/x:0', b'\x00', b'\xff\xfe', b'[' * 200]


def mutate(data):
    data = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        choice = rng.randrange(5)
        if choice == 0 and data:
            data[rng.randrange(len(data))] = rng.randrange(256)
        elif choice == 1 and data:
            del data[rng.randrange(len(data))]
        elif choice == 2:
            at = rng.randrange(len(data) + 1)
            data[at:at] = rng.choice(hostile)
        elif choice == 3 and data:
            data = data[:rng.randrange(len(data))]
        else:
            at = rng.randrange(len(data) + 1)
            data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
    return bytes(data)


def fetch_checkpoint():
    connection = http.client.HTTPSConnection('127.0.0.1', int(port), context=context, timeout=30)
    try:
        connection.request('GET', '/log/checkpoint')
        return connection.getresponse().read()
    finally:
        connection.close()


checkpoint = open(sys.argv[7], 'rb').read() if len(sys.argv) > 7 else fetch_checkpoint()


def request():
    route = rng.randrange(10)
    if route == 0:
        body = b'\n'.join(mutate(line) if rng.random() < 0.7 else line for line in rng.sample(lines, rng.randint(1, len(lines))))
        return 'POST', '/v1/sync/push', body
    if route == 1:
        clock = {rng.choice(['kz-mvd/main', 'uz-iib/main', 'x/y', 'bad', '']): rng.choice([0, 1, -5, 2 ** 63, 'x', None]) for _ in range(rng.randint(0, 4))}
        document = {'clock': clock, 'limit': rng.choice([1, 0, -1, 5000, 10 ** 12, 'a', None]),
                    'agencies': rng.choice([['kz-mvd'], ['kz-mvd/main'], ['BAD'], 'x', [1], []])}
        body = json.dumps(document).encode()
        return 'POST', '/v1/sync/pull', mutate(body) if rng.random() < 0.5 else body
    if route == 2:
        value = rng.choice(['shop.example', 'http://[::1', '1.2.3.4/33', 'xn--', '%00', 'a' * 3000, 'http://192.0.2.1/x', '::ffff:1.2.3.4'])
        return 'GET', '/v1/check?resource=' + ''.join(c if rng.random() < 0.9 else '%' + format(rng.randrange(256), '02X') for c in value), b''
    if route == 3:
        if rng.random() < 0.5:
            return 'GET', '/v1/status', b''
        document = {'agencies': rng.choice([['kz-mvd'], ['BAD'], 'x', [1], []]), 'after': rng.choice([0, 1, -1, 2 ** 63, 'x', None])}
        body = json.dumps(document).encode()
        return 'POST', '/v1/sync/proofs', mutate(body) if rng.random() < 0.5 else body
    if route == 4:
        return rng.choice(['GET', 'PUT', 'DELETE', 'POST']), rng.choice(['/', '/v1', '/v1/sync', '/v1/sync/pull/x', '/..%2f', '/v1/check']), mutate(b'{}')
    if route == 5:
        number = lambda: rng.choice(['0', '1', '2', '3', '-1', '9223372036854775807', '9223372036854775808', 'x', '', '01', '1e3'])
        path = rng.choice([
            '/log/checkpoint',
            '/log/tile/' + rng.choice(['0', '1', '7', '8', 'entries', '-1', 'x']) + '/' + rng.choice(['000', 'x001/000', '0', '000.p/1', '000.p/256', '000.p/0', 'x999/x999/x999/x999/x999/x999/x999', '']),
            '/v1/log/proof/inclusion?index=' + number() + '&size=' + number(),
            '/v1/log/proof/consistency?first=' + number() + '&second=' + number(),
        ])
        return 'GET', '/' + ''.join(c if rng.random() < 0.95 else '%' + format(rng.randrange(256), '02X') for c in path[1:]), b''
    if route == 6:
        # C2SP tlog-witness: the node's own checkpoint (not witnessed), and mangled ones.
        proof = b''.join(rng.choice([b'PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n', b'x\n', b'\n']) for _ in range(rng.randint(0, 70)))
        body = b'old ' + rng.choice([b'0', b'1', b'-1', b'9223372036854775808', b'']) + b'\n' + proof + b'\n' + checkpoint
        return 'POST', '/log/witness/add-checkpoint', mutate(body) if rng.random() < 0.5 else body
    if route == 7:
        document = {'checkpoints': rng.choice([[checkpoint.decode()], [checkpoint.decode()] * 3, ['x'], [], 'x', [1]]),
                    'conflicts': rng.choice([[], [[checkpoint.decode(), checkpoint.decode()]], [['x']], 'x', [[1, 2]]])}
        body = json.dumps(document).encode()
        return 'POST', '/v1/sync/checkpoints', mutate(body) if rng.random() < 0.5 else body
    if route == 8:
        # The public feeds, TAXII and health, with odd formats, parameters and validators.
        name = rng.choice(['rpz', 'hosts', 'dnsmasq', 'unbound', 'mastodon', 'csv', 'json', 'stix', 'ops', 'bundle', '', 'RPZ', 'rpz/x', '..', 'a' * 500])
        collection = rng.choice(['ecd37210-0c54-5a21-ba2e-4a0b30031feb', 'x', '00000000-0000-0000-0000-000000000000', '..'])
        query = '?' + '&'.join(rng.sample(['limit=' + rng.choice(['0', '1', '3', '1000', '1001', '-1', 'x', '9' * 30]),
                                           'added_after=' + rng.choice(['2026-01-01T00:00:00Z', '2026-01-01T00:00:00.123Z', 'x', '9999-12-31T23:59:59Z', '0000-01-01T00:00:00Z']),
                                           'next=' + rng.choice(['0', '1', '5', '-1', 'x', '9223372036854775807', '99999999999999999999'])], rng.randint(0, 3)))
        path = rng.choice(['/v1/export/' + name, '/healthz', '/healthz?x=1', '/metrics', '/metrics?x=1', '/v1/export', '/taxii2/', '/taxii2/roster/', '/taxii2/roster/collections/',
                           '/taxii2/roster/collections/' + collection + '/', '/taxii2/roster/collections/' + collection + '/objects/' + query])
        return 'GET', '/' + ''.join(c if rng.random() < 0.97 else '%' + format(rng.randrange(256), '02X') for c in path[1:]), b''
    return 'RAW', None, None


def validator():
    return rng.choice(['*', 'W/"x"', '"' + 'a' * 5000 + '"', ', '.join(['W/"%032x"' % rng.getrandbits(128) for _ in range(50)]), '', 'W/', '"'])


def raw():
    """A malformed HTTP request on a raw TLS socket: the server may close, but not crash."""
    sock = context.wrap_socket(socket.create_connection(('127.0.0.1', int(port)), timeout=10))
    try:
        sock.sendall(rng.choice([b'GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n', b'POST /v1/sync/push HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
                                 b'\x16\x03\x01garbage\r\n\r\n', b'GET /v1/status HTTP/1.1\r\nX: ' + b'a' * 100000 + b'\r\n\r\n']))
        sock.recv(4096)
    except (OSError, ssl.SSLError):
        pass
    finally:
        sock.close()


statuses = {}
for number in range(count):
    method, path, body = request()
    if method == 'RAW':
        raw()
        continue
    connection = http.client.HTTPSConnection('127.0.0.1', int(port), context=context, timeout=30)
    try:
        headers = {'Content-Type': 'application/x-ndjson'}
        if path.startswith('/v1/export') and rng.random() < 0.5:
            headers['If-None-Match'] = validator()
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        answer = response.read()
    except (http.client.HTTPException, OSError) as error:
        print(f'request {number}: {method} {path}: no answer: {error}')
        sys.exit(1)
    finally:
        connection.close()
    statuses[response.status] = statuses.get(response.status, 0) + 1
    # Two feeds stream at once, and the one before may still be letting go of its slot: 503 with Retry-After.
    busy = response.status == 503 and path.startswith('/v1/export/') and response.getheader('Retry-After') == '10'
    if response.status >= 500 and not busy:
        print(f'request {number}: {method} {path} answered {response.status}: {answer[:300]!r}')
        sys.exit(1)
    if response.status == 409 and path == '/log/witness/add-checkpoint':
        # C2SP tlog-witness answers a 409 with the size it last cosigned, as text/x.tlog.size.
        if not re.fullmatch(rb'(0|[1-9][0-9]*)\n', answer):
            print(f'request {number}: {path} answered 409 with a body that is not a size: {answer[:300]!r}')
            sys.exit(1)
    elif response.status >= 400:
        try:
            document = json.loads(answer)
        except ValueError:
            document = {}
        if set(document) != {'error'} or set(document['error']) != {'message'}:
            print(f'request {number}: {method} {path} answered {response.status} with a body not as error.schema.json says: {answer[:300]!r}')
            sys.exit(1)
for status in sorted(statuses):
    print(f'{status} {statuses[status]}')
