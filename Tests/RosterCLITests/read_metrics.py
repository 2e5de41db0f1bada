"""Reads Prometheus text on stdin with prometheus_client's own parser, as a
Prometheus server would, and prints every sample as one JSON line:
{"name": ..., "labels": {...}, "value": "2.0", "help": ...}. Text the parser refuses exits 1."""
import json
import sys

from prometheus_client.parser import text_string_to_metric_families

for family in text_string_to_metric_families(sys.stdin.read()):
    for sample in family.samples:
        print(json.dumps({'name': sample.name, 'labels': sample.labels, 'value': repr(float(sample.value)), 'help': family.documentation}))
