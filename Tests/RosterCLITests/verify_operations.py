"""Verifies every signature in an ops export with tools that share no code with
Roster: the openssl command (GOST through its engine) and, for ECDSA and RSA-PSS,
Python's cryptography too. The signed message is the RFC 8785 canonical JSON of
each operation without sig and sigs; a replica's key is the one its enrol names.

Usage: verify_operations.py OPS_FILE
Prints one JSON line: {"verified": {suite: count}, "failed": [reasons]}; exits 1 on any failure.
"""
import base64
import json
import os
import subprocess
import sys
import tempfile

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding

ED25519_SPKI = bytes.fromhex('302a300506032b6570032100')
GOST = {bytes.fromhex('2a85030701010101'): 'gost2012-256', bytes.fromhex('2a85030701010102'): 'gost2012-512'}


def canonical(operation):
    unsigned = {name: value for name, value in operation.items() if name not in ('sig', 'sigs')}
    return json.dumps(unsigned, sort_keys=True, separators=(',', ':'), ensure_ascii=False).encode('utf-8')


def spki(key):
    raw = base64.b64decode(key, validate=True)
    return ED25519_SPKI + raw if len(raw) == 32 else raw


def suite_of(der):
    if der.startswith(ED25519_SPKI):
        return 'ed25519'
    for oid, name in GOST.items():
        if oid in der[:24]:
            return name
    key = serialization.load_der_public_key(der)
    return 'ecdsa-p256-sha256' if isinstance(key, ec.EllipticCurvePublicKey) else 'rsa-pss-sha256'


def openssl_verifies(suite, der, message, signature, folder):
    paths = {name: os.path.join(folder, name) for name in ('key.der', 'message', 'signature', 'key.pem')}
    for name, data in (('key.der', der), ('message', message), ('signature', signature)):
        with open(paths[name], 'wb') as file:
            file.write(data)
    engine = ['-engine', 'gost'] if suite.startswith('gost') else []
    subprocess.run(['openssl', 'pkey'] + engine + ['-pubin', '-inform', 'DER', '-in', paths['key.der'], '-out', paths['key.pem']],
                   check=True, capture_output=True)
    if suite == 'ed25519':
        command = ['openssl', 'pkeyutl', '-verify', '-pubin', '-inkey', paths['key.pem'], '-rawin', '-in', paths['message'],
                   '-sigfile', paths['signature']]
    else:
        digest = {'ecdsa-p256-sha256': ['-sha256'], 'rsa-pss-sha256': ['-sha256', '-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:32'],
                  'gost2012-256': ['-md_gost12_256'], 'gost2012-512': ['-md_gost12_512']}[suite]
        command = ['openssl', 'dgst'] + engine + digest + ['-verify', paths['key.pem'], '-signature', paths['signature'], paths['message']]
    result = subprocess.run(command, capture_output=True, text=True)
    return result.returncode == 0


def cryptography_verifies(suite, der, message, signature):
    key = serialization.load_der_public_key(der)
    try:
        if suite == 'ecdsa-p256-sha256':
            key.verify(signature, message, ec.ECDSA(hashes.SHA256()))
        else:
            key.verify(signature, message, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32), hashes.SHA256())
        return True
    except Exception:
        return False


def main():
    operations = [json.loads(line) for line in open(sys.argv[1], encoding='utf-8') if line.strip()]
    enrolled = {op['replica']: op['key'] for op in operations if op.get('type') == 'enrol'}
    verified, failed = {}, []
    with tempfile.TemporaryDirectory() as folder:
        for op in operations:
            dot = f"{op['origin']}:{op['seq']}"
            signatures = [(item['key'], item['sig']) for item in op.get('sigs', [])] or [(enrolled.get(op['origin']), op.get('sig'))]
            for key, signature in signatures:
                if key is None:
                    failed.append(f'{dot}: no enrol of its replica in the export')
                    continue
                der = spki(key)
                suite = suite_of(der)
                if 'sig' in op and suite != op['alg']:
                    failed.append(f"{dot}: alg {op['alg']} but its key is {suite}")
                message, raw = canonical(op), base64.b64decode(signature, validate=True)
                if not openssl_verifies(suite, der, message, raw, folder):
                    failed.append(f'{dot}: openssl does not verify its {suite} signature')
                    continue
                if suite in ('ecdsa-p256-sha256', 'rsa-pss-sha256') and not cryptography_verifies(suite, der, message, raw):
                    failed.append(f'{dot}: cryptography does not verify its {suite} signature')
                    continue
                verified[suite] = verified.get(suite, 0) + 1
    print(json.dumps({'verified': verified, 'failed': failed}))
    sys.exit(1 if failed else 0)


main()
