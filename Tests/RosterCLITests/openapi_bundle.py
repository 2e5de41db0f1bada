"""Writes Schemas/openapi.json as one document: each *.schema.json it refers to is
placed under components/schemas, and every $ref made a pointer into the document,
so that tools which do not follow a schema's $id (schemathesis, the spec validator)
read the very schemas the node's other tests validate against, offline.

Usage: openapi_bundle.py SCHEMAS_FOLDER > bundle.json
"""
import json
import os
import sys

folder = sys.argv[1]
spec = json.load(open(os.path.join(folder, 'openapi.json')))
schemas = {}


def pointer(ref, current):
    """The in-document pointer of a $ref written in the file `current` (None: openapi.json)."""
    target, _, fragment = ref.partition('#')
    name = target[:-len('.schema.json')] if target else current
    if name is None:
        return ref
    if name not in schemas:
        load(name)
    return '#/components/schemas/' + name + fragment


def rewrite(node, current):
    if isinstance(node, dict):
        return {key: (pointer(value, current) if key == '$ref' else rewrite(value, current))
                for key, value in node.items() if key not in ('$id', '$schema')}
    if isinstance(node, list):
        return [rewrite(item, current) for item in node]
    return node


def load(name):
    schemas[name] = None
    schemas[name] = rewrite(json.load(open(os.path.join(folder, name + '.schema.json'))), name)


spec = rewrite(spec, None)
spec['components'].setdefault('schemas', {}).update(schemas)
json.dump(spec, sys.stdout, indent=1)
