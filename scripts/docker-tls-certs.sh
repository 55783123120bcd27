#!/usr/bin/env bash
# Makes a CA, a server certificate for 127.0.0.1/localhost and a client certificate, as
# `dockerd --tlsverify` and a TLS client need them (Docker's names: ca.pem, server-cert.pem,
# server-key.pem, cert.pem, key.pem). Idempotent: existing files are kept.
# Usage: scripts/docker-tls-certs.sh DIR
set -euo pipefail
dir=${1:?usage: docker-tls-certs.sh DIR}
mkdir -p "$dir"
cd "$dir"
[ -s ca.pem ] && [ -s server-cert.pem ] && [ -s cert.pem ] && exit 0
umask 077
openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj '/CN=godocker test CA' \
  -keyout ca-key.pem -out ca.pem 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj '/CN=127.0.0.1' -keyout server-key.pem -out server.csr 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 3650 \
  -extfile server.ext -out server-cert.pem 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj '/CN=godocker' -keyout key.pem -out client.csr 2>/dev/null
printf 'extendedKeyUsage=clientAuth\n' >client.ext
openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 3650 \
  -extfile client.ext -out cert.pem 2>/dev/null
rm -f server.csr client.csr server.ext client.ext
chmod 644 ca.pem server-cert.pem cert.pem
