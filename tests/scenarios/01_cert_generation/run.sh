#!/usr/bin/env bash
# 01 certificate generation: the program makes a CA, server and client certificates on the server
# host; openssl checks the chain, the server's SAN, each role's EKU, that keys match certificates,
# the key files' modes; a second client comes from the same CA; revoking it puts it on ca.crl,
# which `openssl verify -crl_check` honours. Then the client host gets ca.crt and its own files.
set -uo pipefail
. "$SCENARIO_DIR/lib.sh"
P="$(prog server)"
pki="$WORK/pki"
mkdir -p "$pki"
chmod 700 "$pki"

say "generating certificates on the server for $SSS_SERVER_ADDR"
if out="$(on server "rm -rf certs && $P --generate-certs --cert-dir certs --server-ip $SSS_SERVER_ADDR" 2>&1)"; then
  pass "--generate-certs writes the CA, server and client files" "$(echo "$out" | grep -c '^wrote ') files"
else
  fail "--generate-certs writes the CA, server and client files" "$(echo "$out" | tail -n 1)"
  exit 1
fi
for f in ca.crt server.crt server.key client.crt client.key; do get server "certs/$f" "$pki/$f"; done

check "chain: server.crt and client.crt verify against ca.crt" \
  openssl verify -CAfile "$pki/ca.crt" "$pki/server.crt" "$pki/client.crt"
san="$(openssl x509 -in "$pki/server.crt" -noout -ext subjectAltName 2>&1 | tail -n 1 | sed 's/^ *//')"
if echo "$san" | grep -qE "IP Address:$SSS_SERVER_ADDR(,|$)"; then
  pass "server SAN holds the server IP" "$san"
else
  fail "server SAN holds the server IP" "$san"
fi
eku() { openssl x509 -in "$pki/$1.crt" -noout -ext extendedKeyUsage 2>&1 | tail -n 1 | sed 's/^ *//'; }
if [ "$(eku server)" = "TLS Web Server Authentication" ]; then
  pass "server EKU is serverAuth only" "$(eku server)"
else
  fail "server EKU is serverAuth only" "$(eku server)"
fi
if [ "$(eku client)" = "TLS Web Client Authentication" ]; then
  pass "client EKU is clientAuth only" "$(eku client)"
else
  fail "client EKU is clientAuth only" "$(eku client)"
fi
check "openssl accepts server.crt for purpose sslserver" \
  openssl verify -purpose sslserver -CAfile "$pki/ca.crt" "$pki/server.crt"
check "openssl accepts client.crt for purpose sslclient" \
  openssl verify -purpose sslclient -CAfile "$pki/ca.crt" "$pki/client.crt"
for role in server client; do
  a="$(openssl pkey -in "$pki/$role.key" -pubout 2>&1)"
  b="$(openssl x509 -in "$pki/$role.crt" -noout -pubkey 2>&1)"
  if [ -n "$a" ] && [ "$a" = "$b" ]; then
    pass "$role.key matches $role.crt"
  else
    fail "$role.key matches $role.crt" "public keys differ"
  fi
done
modes="$(on server "stat -c '%a %n' certs/*.key certs/*.crt" | tr '\n' ' ')"
# The CA key is root's alone; leaf keys are 0640 for the run group when made as root (so the
# dropped process can re-read them on a reload), 0600 otherwise; nobody else reads a key.
if ! echo "$modes" | tr ' ' '\n' | paste - - | awk '($2 ~ /ca\.key$/ && $1 != "600") || ($2 ~ /\.key$/ && $1 != "600" && $1 != "640") || ($2 ~ /\.crt$/ && $1 != "644") { bad = 1 } END { exit bad }'; then
  fail "the CA key is 0600, other keys 0640 or 0600, certificates 0644" "$modes"
else
  pass "the CA key is 0600, other keys 0640 or 0600, certificates 0644" "$modes"
fi

say "issuing a second client, client2, from the same CA"
ca_before="$(sha256sum <"$pki/ca.crt")"
if out="$(on server "$P --generate-certs --cert-dir certs --client-name client2" 2>&1)"; then
  get server certs/client2.crt "$pki/client2.crt"
  get server certs/client2.key "$pki/client2.key"
  get server certs/ca.crt "$pki/ca-after.crt"
  if [ "$(sha256sum <"$pki/ca-after.crt")" = "$ca_before" ] &&
    openssl verify -CAfile "$pki/ca.crt" "$pki/client2.crt" >/dev/null 2>&1; then
    pass "a second client comes from the same, unchanged CA"
  else
    fail "a second client comes from the same, unchanged CA" "ca.crt changed or client2.crt does not verify"
  fi
else
  fail "a second client comes from the same, unchanged CA" "$(echo "$out" | tail -n 1)"
fi

say "revoking client2"
if out="$(on server "$P --revoke-cert client2 --cert-dir certs" 2>&1)"; then
  get server certs/ca.crl "$pki/ca.crl"
  pass "--revoke-cert writes ca.crl" "$(echo "$out" | grep -m1 '^revoked')"
  crl="$(openssl verify -crl_check -CAfile "$pki/ca.crt" -CRLfile "$pki/ca.crl" "$pki/client2.crt" 2>&1)"
  if echo "$crl" | grep -q "certificate revoked"; then
    pass "openssl verify -crl_check refuses client2.crt" "certificate revoked"
  else
    fail "openssl verify -crl_check refuses client2.crt" "$(echo "$crl" | tail -n 1)"
  fi
  check "openssl verify -crl_check still accepts client.crt" \
    openssl verify -crl_check -CAfile "$pki/ca.crt" -CRLfile "$pki/ca.crl" "$pki/client.crt"
else
  fail "--revoke-cert writes ca.crl" "$(echo "$out" | tail -n 1)"
fi

say "copying ca.crt and the client's files to the client host"
on client "rm -rf certs && mkdir -m 700 certs"
put client "$pki/ca.crt" certs/ca.crt 644
put client "$pki/client.crt" certs/client.crt 644
put client "$pki/client.key" certs/client.key 600
put client "$pki/client2.crt" certs/client2.crt 644
put client "$pki/client2.key" certs/client2.key 600
check "the client host has ca.crt, client.crt and client.key (0600)" \
  on client "test -s certs/ca.crt && test -s certs/client.crt && test \"\$(stat -c %a certs/client.key)\" = 600"
