#!/usr/bin/env bash
# 04 security, with `openssl s_client` on the client host against the server's port: TLS 1.0 and
# 1.1 refused, 1.2 and 1.3 accepted (the server's certificate verified against ca.crt and its IP);
# a client without a certificate, one from a foreign CA and the revoked client2 are refused; the
# server process listens on its tunnel port and nothing else (`ss -ltnp`, `ss -lunp`).
set -uo pipefail
. "$SCENARIO_DIR/lib.sh"
target="$SSS_SERVER_ADDR:$SSS_PORT"

tunnel_up || exit 1

# s_client ARGS...: one connection from the client host, stdin closed; output and status.
s_client() {
  on client "timeout 15 openssl s_client -connect $target -CAfile certs/ca.crt -verify_return_error -verify_ip $SSS_SERVER_ADDR $* </dev/null" 2>&1
}
for version in 1 1_1; do
  # SECLEVEL=0 lets openssl offer these old versions at all: the refusal must be the server's.
  out="$(s_client "-tls$version -cipher DEFAULT@SECLEVEL=0 -cert certs/client.crt -key certs/client.key")"
  name="TLS ${version/_/.}"
  [ "$version" != 1 ] || name="TLS 1.0"
  if echo "$out" | grep -qE "Cipher is \(NONE\)|alert protocol version|unsupported protocol|wrong version number" &&
    ! echo "$out" | grep -qE "^New, TLSv1(\.[01])?, Cipher is [A-Z]"; then
    pass "$name refused" "$(echo "$out" | grep -oE 'alert [a-z ]+|unsupported protocol|wrong version number' | head -n 1)"
  else
    fail "$name refused" "$(echo "$out" | grep -E '^New,|Protocol' | head -n 1)"
  fi
done
for version in 1_2 1_3; do
  name="TLS ${version/_/.}"
  out="$(s_client "-tls$version -cert certs/client.crt -key certs/client.key")"
  if echo "$out" | grep -qE "^New, TLSv${version/_/.}, Cipher is [A-Z]" &&
    echo "$out" | grep -q "Verify return code: 0 (ok)"; then
    pass "$name accepted, server certificate verified" "$(echo "$out" | grep -oE 'Cipher is .*' | head -n 1)"
  else
    fail "$name accepted, server certificate verified" "$(echo "$out" | grep -E '^New,|Verify return|error' | head -n 1)"
  fi
done

# refused WHAT ARGS: the handshake may complete (the server checks the certificate after it),
# but the server then says why and closes; it never starts a session.
refused() {
  local what="$1" out
  # The server's reason arrives as a close frame among s_client's output: keep the text only.
  out="$(on client "timeout 15 openssl s_client -connect $target -CAfile certs/ca.crt -ign_eof $2 </dev/null" 2>&1 | tr -d '\000')"
  if echo "$out" | grep -qE "certificate refused|alert (certificate required|bad certificate|unknown ca|certificate revoked)"; then
    pass "$what refused" "$(echo "$out" | grep -aoE 'certificate refused: [A-Za-z0-9 =,()]*(CA|certificate|revoked|expired)|alert [a-z ]+' | head -n 1)"
  else
    fail "$what refused" "$(echo "$out" | grep -E '^New,|error' | head -n 1)"
  fi
}
refused "a client without a certificate" ""

say "making a foreign CA and a client certificate it signs"
foreign="$WORK/foreign"
mkdir -p "$foreign"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=foreign-ca \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -keyout "$foreign/ca.key" -out "$foreign/ca.crt" 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=client \
  -keyout "$foreign/client.key" -out "$foreign/client.csr" 2>/dev/null
printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n' >"$foreign/ext"
openssl x509 -req -in "$foreign/client.csr" -CA "$foreign/ca.crt" -CAkey "$foreign/ca.key" \
  -set_serial 4242 -days 1 -extfile "$foreign/ext" -out "$foreign/client.crt" 2>/dev/null
put client "$foreign/client.crt" certs/foreign.crt 644
put client "$foreign/client.key" certs/foreign.key 600
refused "a client certificate from a foreign CA" "-cert certs/foreign.crt -key certs/foreign.key"
refused "the revoked client2 certificate" "-cert certs/client2.crt -key certs/client2.key"
if on server "grep -qE 'authenticated as (client2|client \\(foreign)' server.log"; then
  fail "no refused client got a session" "$(on server "grep -E 'authenticated as' server.log | tail -n 1")"
else
  pass "no refused client got a session"
fi

pid="$(tunnel_pid server)"
tcp="$(on server "ss -ltnpH" | grep "pid=$pid," | awk '{ print $4 }' | sort -u | xargs)"
udp="$(on server "ss -lunpH" | grep "pid=$pid," | awk '{ print $4 }' | sort -u | xargs)"
figure "server listening sockets" "tcp ${tcp:-none} udp ${udp:-none}" ""
if [ "$tcp" = "0.0.0.0:$SSS_PORT" ] && [ -z "$udp" ]; then
  pass "the server listens on TCP $SSS_PORT only" "ss -ltnp: $tcp"
else
  fail "the server listens on TCP $SSS_PORT only" "tcp: ${tcp:-none}; udp: ${udp:-none}"
fi
