"""Writes Schemas/openapi.json, the OpenAPI 3.1 description of every route: run it
after a route changes (python3 Tests/RosterCLITests/openapi_generate.py Schemas/openapi.json).
ApiDescriptionTests holds the committed file to what this writes."""
import json
import sys

E = {"$ref": "error.schema.json"}
def err(desc): return {"description": desc, "content": {"application/json": {"schema": E}}}
def js(schema, desc="OK"): return {"description": desc, "content": {"application/json": {"schema": schema}}}
def text(media, desc, schema=None): return {"description": desc, "content": {media: {"schema": schema or {"type": "string"}}}}
busy = err("The database is busy or cannot be read: retry.")
peer = err("No client certificate, or one whose key no peer descriptor pins.")
bad = err("A malformed request: the message says what to change.")
large = err("The body is larger than the route accepts: send smaller pages.")
notfound = err("Not found: the message says what exists.")
ndjson_ops = {"type": "string", "description": "NDJSON: each line an operation.schema.json, in causal order."}
FORMATS = ["rpz", "hosts", "dnsmasq", "unbound", "mastodon", "csv", "json", "stix"]
taxii = "application/taxii+json;version=2.1"
def tx(schema, desc="OK"): return {"description": desc, "content": {taxii: {"schema": schema}}}
stix_bundle = {"type": "object", "required": ["type", "id", "objects"],
               "properties": {"type": {"const": "bundle"}, "id": {"type": "string", "pattern": "^bundle--"},
                              "objects": {"type": "array", "items": {"type": "object", "required": ["type", "id", "spec_version"]}}}}
collection = {"type": "object", "required": ["id", "title", "can_read", "can_write"],
              "properties": {"id": {"type": "string"}, "title": {"type": "string"}, "description": {"type": "string"},
                             "can_read": {"type": "boolean"}, "can_write": {"type": "boolean"},
                             "media_types": {"type": "array", "items": {"type": "string"}}}}
collection_id = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"},
                 "description": "The collection's id: ecd37210-0c54-5a21-ba2e-4a0b30031feb on every node."}
public = []
peers_only = [{"peerCertificate": []}]
def q(name, desc, schema, required=False):
    return {"name": name, "in": "query", "required": required, "schema": schema, "description": desc}

paths = {
 "/v1/status": {"get": {"operationId": "status", "tags": ["sync"], "security": peers_only,
   "summary": "The node's clock and digests, for a peer deciding what to pull.",
   "responses": {"200": js({"$ref": "sync-status.schema.json"}), "403": peer, "503": busy}}},
 "/v1/sync/pull": {"post": {"operationId": "pull", "tags": ["sync"], "security": peers_only,
   "summary": "The operations the caller lacks, of the agencies it trusts, in causal order.",
   "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "sync-pull-request.schema.json"}}}},
   "responses": {"200": {"description": "A page of operations; Roster-More: true when more remain.",
       "headers": {"Roster-More": {"schema": {"type": "string", "enum": ["true", "false"]}}, "Roster-Clock": {"schema": {"type": "string"}},
                   "Roster-Proofs": {"schema": {"type": "string"}}},
       "content": {"application/x-ndjson": {"schema": ndjson_ops}}}, "400": bad, "403": peer, "413": large, "503": busy}}},
 "/v1/sync/proofs": {"post": {"operationId": "proofs", "tags": ["sync"], "security": peers_only,
   "summary": "A page of the proofs of equivocation the node keeps.",
   "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "sync-proofs-request.schema.json"}}}},
   "responses": {"200": {"description": "Proofs as NDJSON; Roster-More and Roster-After page on.",
       "content": {"application/x-ndjson": {"schema": ndjson_ops}}}, "400": bad, "403": peer, "413": large, "503": busy}}},
 "/v1/sync/push": {"post": {"operationId": "push", "tags": ["sync"], "security": peers_only,
   "summary": "Signed operations for the node to verify and apply; each gets an outcome.",
   "requestBody": {"required": True, "content": {"application/x-ndjson": {"schema": ndjson_ops}}},
   "responses": {"200": js({"$ref": "sync-push-response.schema.json"}), "400": bad, "403": peer, "413": large,
                 "429": err("Pending operations of an origin are at their bound: send what they follow first."), "503": busy}}},
 "/v1/sync/checkpoints": {"post": {"operationId": "checkpoints", "tags": ["sync"], "security": peers_only,
   "summary": "Gossip of log checkpoints and proofs that a log showed two histories.",
   "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "sync-checkpoints.schema.json"}}}},
   "responses": {"200": js({"$ref": "sync-checkpoints.schema.json"}), "400": bad, "403": peer, "413": large, "503": busy}}},
 "/v1/check": {"get": {"operationId": "check", "tags": ["consumers"], "security": public,
   "summary": "Whether a resource is listed, and by which live entries.",
   "parameters": [q("resource", "A domain, URL, IP address, network, onion address, account or wallet (CHAIN:ADDRESS), as roster add takes it.", {"type": "string", "minLength": 1, "maxLength": 2048}, True)],
   "responses": {"200": js({"$ref": "check.schema.json"}), "400": bad, "503": busy}}},
 "/v1/export/{format}": {"get": {"operationId": "feed", "tags": ["consumers"], "security": public,
   "summary": "The roster in a consumer's format, streamed from one snapshot, as roster export --format writes it.",
   "parameters": [{"name": "format", "in": "path", "required": True, "schema": {"type": "string", "enum": FORMATS}},
                  {"name": "If-None-Match", "in": "header", "required": False, "schema": {"type": "string"},
                   "description": "The ETag of a copy held: 304 while it is current."}],
   "responses": {"200": {"description": "The feed, with a weak ETag.", "headers": {"ETag": {"schema": {"type": "string"}}},
       "content": {"text/dns": {"schema": {"type": "string"}}, "text/plain": {"schema": {"type": "string"}},
                   "text/csv": {"schema": {"type": "string"}}, "application/json": {"schema": {"$ref": "export.schema.json"}},
                   "application/stix+json;version=2.1": {"schema": stix_bundle}}},
     "304": {"description": "The copy held is current."}, "404": notfound,
     "503": err("Two feeds are streaming, or one to this client: retry after Retry-After seconds.")}}},
 "/taxii2/": {"get": {"operationId": "taxiiDiscovery", "tags": ["taxii"], "security": public, "summary": "TAXII 2.1 discovery.",
   "responses": {"200": tx({"type": "object", "required": ["title", "api_roots"],
       "properties": {"title": {"type": "string"}, "description": {"type": "string"}, "default": {"type": "string"},
                      "api_roots": {"type": "array", "items": {"type": "string"}}}})}}},
 "/taxii2/roster/": {"get": {"operationId": "taxiiRoot", "tags": ["taxii"], "security": public, "summary": "The TAXII API root.",
   "responses": {"200": tx({"type": "object", "required": ["title", "versions", "max_content_length"],
       "properties": {"title": {"type": "string"}, "versions": {"type": "array", "items": {"type": "string"}},
                      "max_content_length": {"type": "integer", "minimum": 0}}})}}},
 "/taxii2/roster/collections/": {"get": {"operationId": "taxiiCollections", "tags": ["taxii"], "security": public,
   "summary": "The one collection, Roster.",
   "responses": {"200": tx({"type": "object", "required": ["collections"], "properties": {"collections": {"type": "array", "items": collection}}})}}},
 "/taxii2/roster/collections/{id}/": {"get": {"operationId": "taxiiCollection", "tags": ["taxii"], "security": public,
   "summary": "The collection Roster.", "parameters": [collection_id],
   "responses": {"200": tx(collection), "404": notfound}}},
 "/taxii2/roster/collections/{id}/objects/": {"get": {"operationId": "taxiiObjects", "tags": ["taxii"], "security": public,
   "summary": "A page of the collection's STIX objects, in the order the node added them to its log.",
   "parameters": [collection_id,
     q("added_after", "Only what was added after this time, RFC 3339 in UTC (the X-TAXII-Date-Added-Last of the last pull).", {"type": "string", "format": "date-time", "pattern": "Z$"}),
     q("limit", "At most this many objects (1 to 1000, default 100).", {"type": "integer", "minimum": 1, "maximum": 1000}),
     q("next", "Where the last page ended, as it said: a leaf of the log, and after a dot how many of the entries it touched (an original and its mirrors) were handed out.", {"type": "string", "pattern": "^[0-9]{1,18}([.][0-9]{1,9})?$"})],
   "responses": {"200": {"description": "An envelope of objects.",
       "headers": {"X-TAXII-Date-Added-First": {"schema": {"type": "string"}}, "X-TAXII-Date-Added-Last": {"schema": {"type": "string"}}},
       "content": {taxii: {"schema": {"type": "object", "required": ["more"],
           "properties": {"more": {"type": "boolean"}, "next": {"type": "string"}, "objects": stix_bundle["properties"]["objects"]}}}}},
     "400": bad, "404": notfound, "503": busy}}},
 "/": {"get": {"operationId": "page", "tags": ["public page"], "security": public,
   "summary": "The public page: search, counts per agency, authority and category, revocations. HTML, no JavaScript.",
   "parameters": [q("q", "A resource, or the beginning of one: the entries that list it, then those that begin with it.", {"type": "string"})],
   "responses": {"200": text("text/html", "The page."), "503": busy}}},
 "/entries/{agency}/{replica}/{seq}": {"get": {"operationId": "entryPage", "tags": ["public page"], "security": public,
   "summary": "One entry: its legal basis, its signed history and its agency's key. HTML, no JavaScript.",
   "parameters": [{"name": "agency", "in": "path", "required": True, "schema": {"type": "string"}},
                  {"name": "replica", "in": "path", "required": True, "schema": {"type": "string"}},
                  {"name": "seq", "in": "path", "required": True, "schema": {"type": "string"}, "description": "The entry id kz-mvd/main:42 is /entries/kz-mvd/main/42."}],
   "responses": {"200": text("text/html", "The entry."), "404": text("text/html", "No such entry."), "503": busy}}},
 "/healthz": {"get": {"operationId": "health", "tags": ["operations"], "security": public,
   "summary": "200 while the node reads its database, for load balancers and service managers.",
   "responses": {"200": js({"$ref": "health.schema.json"}), "503": js({"$ref": "health.schema.json"}, "The database cannot be read.")}}},
 "/metrics": {"get": {"operationId": "metrics", "tags": ["operations"], "security": public,
   "summary": "Prometheus text: operations applied and refused, pending, sync rounds and lag per peer, latency per route.",
   "responses": {"200": text("text/plain", "Prometheus text format 0.0.4."), "503": busy}}},
 "/log/checkpoint": {"get": {"operationId": "checkpoint", "tags": ["log"], "security": public,
   "summary": "The log's latest checkpoint, a C2SP signed note with its cosignatures.",
   "responses": {"200": text("text/plain", "A signed note (C2SP tlog-checkpoint)."), "404": notfound, "503": busy}}},
 "/log/tile/{level}/{index}": {"get": {"operationId": "tile", "tags": ["log"], "security": public,
   "summary": "A tile of the log (C2SP tlog-tiles); index is a number below 1000 here, and x001/234 paths are served alike.",
   "parameters": [{"name": "level", "in": "path", "required": True, "schema": {"type": "string"}, "description": "0 to 63, or entries."},
                  {"name": "index", "in": "path", "required": True, "schema": {"type": "string"}}],
   "responses": {"200": {"description": "The tile's bytes.", "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
                 "404": notfound, "503": busy}}},
 "/v1/log/proof/inclusion": {"get": {"operationId": "inclusionProof", "tags": ["log"], "security": public,
   "summary": "The proof that leaf index is in the tree of size (RFC 6962).",
   "parameters": [q("index", "The leaf, from 0.", {"type": "integer", "minimum": 0}, True), q("size", "The tree's size, from 1.", {"type": "integer", "minimum": 1}, True)],
   "responses": {"200": js({"$ref": "log-proof.schema.json"}), "400": bad, "404": err("The log has no such leaf or size."), "503": busy}}},
 "/v1/log/proof/consistency": {"get": {"operationId": "consistencyProof", "tags": ["log"], "security": public,
   "summary": "The proof that the tree of size first is a prefix of the tree of size second (RFC 6962).",
   "parameters": [q("first", "The smaller size, from 1.", {"type": "integer", "minimum": 1}, True), q("second", "The larger size.", {"type": "integer", "minimum": 1}, True)],
   "responses": {"200": js({"$ref": "log-proof.schema.json"}), "400": bad, "404": err("The log has no such leaf or size."), "503": busy}}},
 "/log/witness/add-checkpoint": {"post": {"operationId": "addCheckpoint", "tags": ["log"], "security": public,
   "summary": "The C2SP tlog-witness protocol: cosign a checkpoint of a trusted agency's replica that extends the last one cosigned.",
   "requestBody": {"required": True, "content": {"text/plain": {"schema": {"type": "string", "minLength": 1, "description": "old SIZE, the consistency proof's lines, a blank line, the checkpoint (C2SP tlog-witness)."}}}},
   "responses": {"200": text("text/plain", "The witness's cosignature line."), "400": bad,
     "403": err("The checkpoint is not signed by the key its agency enrolled."), "404": err("This node does not witness that log."),
     "409": text("text/x.tlog.size", "The size this witness last cosigned: send a proof from it."), "413": large,
     "422": err("The consistency proof does not hold."), "503": busy}}},
}
doc = {"openapi": "3.1.0",
 "info": {"title": "Roster node API", "version": "1",
   "description": "Every route of a serving Roster node (roster serve). Sync routes answer peers only: mutual TLS with a client certificate whose key a peer descriptor pins (docs/sync.md). The rest is public. Every error answer carries error.schema.json. Schemas are the files beside this one."},
 "servers": [{"url": "https://localhost:8443", "description": "roster serve --dev"}],
 "tags": [{"name": "sync", "description": "Between peers (docs/sync.md)."}, {"name": "consumers", "description": "Resolvers and platforms (README, Resolvers)."},
          {"name": "taxii", "description": "TAXII 2.1, read-only (README, TAXII 2.1)."}, {"name": "log", "description": "The transparency log (docs/log.md)."},
          {"name": "operations", "description": "Health and metrics (README, Monitoring)."},
          {"name": "public page", "description": "For people: the roster, searchable, with each entry's decision (README, The public page)."}],
 "components": {"securitySchemes": {"peerCertificate": {"type": "mutualTLS", "description": "A client certificate whose key a peer descriptor pins."}}},
 "paths": paths}
text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
if len(sys.argv) > 1:
    open(sys.argv[1], "w").write(text)
else:
    sys.stdout.write(text)
