"""Pulls a node's roster as an intel platform would, with the OASIS taxii2-client.

Usage: taxii_pull.py DISCOVERY_URL [ADDED_AFTER]

Trusts the node's certificate through REQUESTS_CA_BUNDLE. Prints one JSON line: the
collection's title, the indicators pulled (name, revoked), the pages, and the
X-TAXII-Date-Added-Last of the collection, for the next pull's added_after.
"""
import json
import sys

from taxii2client.v21 import Server, as_pages

server = Server(sys.argv[1])
root = server.api_roots[0]
collection = root.collections[0]
filters = {'added_after': sys.argv[2]} if len(sys.argv) > 2 else {}
indicators, pages = [], 0
for page in as_pages(collection.get_objects, per_request=3, **filters):
    pages += 1
    for item in page.get('objects', []):
        if item['type'] == 'indicator':
            indicators.append({'name': item['name'], 'revoked': item['revoked'], 'pattern': item['pattern']})
response = collection._conn.session.get(collection.url + 'objects/', headers={'Accept': 'application/taxii+json;version=2.1'})
print(json.dumps({'title': collection.title, 'can_read': collection.can_read, 'indicators': indicators, 'pages': pages,
                  'last': response.headers.get('X-TAXII-Date-Added-Last')}))
