# shellcheck shell=bash
# Shared by tests/run_tests.sh and the scenarios (each tests/scenarios/NN_name/run.sh): running
# commands on the two hosts, starting and stopping the tunnel, and recording checks and figures.
# The runner exports the SSS_* variables, RESULTS (this run's results folder) and WORK (a private
# folder on this machine).

say() { printf '%s\n' "$*"; }

host_dir() { if [ "$1" = server ]; then echo "$SSS_SERVER_DIR"; else echo "$SSS_CLIENT_DIR"; fi; }
host_addr() { if [ "$1" = server ]; then echo "$SSS_SERVER_ADDR"; else echo "$SSS_CLIENT_ADDR"; fi; }
# The tunnel addresses (SSS_SERVER_TUN / SSS_CLIENT_TUN to avoid a network the hosts use).
tun_ip() {
  if [ "$1" = server ]; then echo "${SSS_SERVER_TUN:-10.0.0.1}"; else echo "${SSS_CLIENT_TUN:-10.0.0.2}"; fi
}
# How the host runs the program: the checkout launcher (local lab) or the unpacked bundle.
prog() { cat "$WORK/$1.program"; }

# Single-quotes a string for sh.
shq() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

# on HOST 'COMMAND': runs COMMAND with sh as root in the host's folder (made when missing); stdin,
# stdout, stderr and the exit status are the command's.
on() {
  local host="$1" dir script
  dir="$(host_dir "$host")"
  script="mkdir -p $dir && cd $dir && $2"
  if [ "$SSS_MODE" = local ]; then
    local ns="$SSS_SERVER_NS"
    [ "$host" = server ] || ns="$SSS_CLIENT_NS"
    ip netns exec "$ns" sh -c "$script"
  else
    # One ssh connection per host, reused by every command (closed by close_ssh).
    local sudo="" args=(-o BatchMode=yes -o ConnectTimeout=10 -o StrictHostKeyChecking=accept-new
      -o ControlMaster=auto -o "ControlPath=$WORK/ssh-$host" -o ControlPersist=120)
    [ "$SSS_SSH_USER" = root ] || sudo="sudo -n"
    [ -z "$SSS_SSH_IDENTITY" ] || args+=(-i "$SSS_SSH_IDENTITY")
    # shellcheck disable=SC2206 # SSH_OPTIONS is a list of ssh options, split on purpose.
    [ -z "${SSH_OPTIONS:-}" ] || args+=(${SSH_OPTIONS})
    ssh "${args[@]}" "$SSS_SSH_USER@$(host_addr "$host")" "$sudo sh -c $(shq "$script")"
  fi
}

# close_ssh HOST: ends the host's shared ssh connection, if there is one.
close_ssh() {
  [ -S "$WORK/ssh-$1" ] || return 0
  ssh -o "ControlPath=$WORK/ssh-$1" -O exit "$SSS_SSH_USER@$(host_addr "$1")" >/dev/null 2>&1 || true
}

# put HOST LOCAL_FILE REMOTE_NAME [MODE]: copies a file into the host's folder.
put() {
  on "$1" "umask 077 && cat > $3${4:+ && chmod $4 $3}" <"$2"
}

# get HOST REMOTE_NAME LOCAL_FILE: copies a file from the host's folder.
get() {
  on "$1" "cat $2" >"$3"
}

# record SCENARIO CHECK PASS|FAIL DETAIL
record() {
  printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "${4:-}" >>"$RESULTS/checks.tsv"
}

pass() {
  say "PASS  $1${2:+ ($2)}"
  record "$SSS_SCENARIO" "$1" PASS "${2:-}"
}

fail() {
  say "FAIL  $1${2:+: $2}"
  record "$SSS_SCENARIO" "$1" FAIL "${2:-}"
}

# check 'WHAT' COMMAND...: pass when the command succeeds; its last output line is the detail.
check() {
  local what="$1" out
  shift
  if out="$("$@" 2>&1)"; then pass "$what"; else fail "$what" "$(printf '%s' "$out" | tail -n 1)"; fi
}

# figure NAME VALUE UNIT: a measured figure for the summary.
figure() {
  say "      $1: $2 $3"
  printf '%s\t%s\t%s\t%s\n' "$SSS_SCENARIO" "$1" "$2" "$3" >>"$RESULTS/figures.tsv"
}

# le A B: true when the number A is at most B (decimals allowed).
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 <= b + 0) }'; }

# Writes server.yaml and client.yaml into the hosts' folders (paths relative to them).
write_configs() {
  local common
  common="interface: ssstest0
logging:
  level: info"
  {
    printf 'mode: server\nlisten: 0.0.0.0:%s\naddress: %s/24\n%s\n  file: server.log\n' \
      "$SSS_PORT" "$(tun_ip server)" "$common"
    printf 'security:\n  tls:\n    min_version: "1.2"\n    cert_file: certs/server.crt\n'
    printf '    key_file: certs/server.key\n    ca_file: certs/ca.crt\n    crl_file: certs/ca.crl\n'
  } >"$WORK/server.yaml"
  {
    printf 'mode: client\nserver: %s:%s\naddress: %s/24\n%s\n  file: client.log\n' \
      "$SSS_SERVER_ADDR" "$SSS_PORT" "$(tun_ip client)" "$common"
    printf 'security:\n  tls:\n    min_version: "1.2"\n    cert_file: certs/client.crt\n'
    printf '    key_file: certs/client.key\n    ca_file: certs/ca.crt\n'
  } >"$WORK/client.yaml"
  put server "$WORK/server.yaml" server.yaml 644
  put client "$WORK/client.yaml" client.yaml 644
}

# wait_log HOST PATTERN [SECONDS]: waits until the host's tunnel log matches (grep -E).
wait_log() {
  local host="$1" pattern="$2" deadline=$((SECONDS + ${3:-20}))
  while [ "$SECONDS" -lt "$deadline" ]; do
    if on "$host" "grep -qE $(shq "$pattern") $host.log 2>/dev/null"; then return 0; fi
    if ! on "$host" "kill -0 \$(cat $host.pid) 2>/dev/null"; then
      echo "the $host process exited: $(on "$host" "tail -n 3 $host.out $host.log 2>/dev/null" | tr '\n' ' ')"
      return 1
    fi
    sleep 0.3
  done
  echo "no \"$pattern\" in the $host's log within ${3:-20} s"
  return 1
}

# start_tunnel HOST: starts the program with the host's configuration and waits until the server
# listens or the client is connected.
start_tunnel() {
  local host="$1" pattern="connected to"
  [ "$host" = client ] || pattern="listening on"
  on "$host" "rm -f $host.log $host.out; nohup $(prog "$host") -config $host.yaml >$host.out 2>&1 </dev/null & echo \$! >$host.pid"
  wait_log "$host" "$pattern"
}

tunnel_pid() { on "$1" "cat $1.pid"; }

# stop_tunnel HOST: SIGTERM (SIGKILL after 5 s); its log goes into the results.
stop_tunnel() {
  local host="$1"
  on "$host" "test -f $host.pid" 2>/dev/null || return 0
  on "$host" 'p=$(cat '"$host"'.pid); kill "$p" 2>/dev/null; i=0
    while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    kill -9 "$p" 2>/dev/null; rm -f '"$host"'.pid'
  on "$host" "cat $host.log 2>/dev/null" >>"$RESULTS/${SSS_SCENARIO:-run}.$host.log" || true
  on "$host" "rm -f $host.log"
}

# tunnel_up: starts the server, then the client; false (with the reason printed) when either fails.
tunnel_up() {
  local why
  if ! why="$(start_tunnel server)"; then
    fail "server starts" "$why"
    return 1
  fi
  if ! why="$(start_tunnel client)"; then
    fail "client connects" "$why"
    return 1
  fi
  pass "tunnel up" "$(on client "grep -oE 'connected to .*' client.log | tail -n 1")"
}

# Writes summary.md from the checks and figures; exit status 1 when any check failed or none ran.
write_summary() {
  local summary="$RESULTS/summary.md" passed failed version
  touch "$RESULTS/checks.tsv" "$RESULTS/figures.tsv"
  passed="$(awk -F'\t' '$3 == "PASS"' "$RESULTS/checks.tsv" | wc -l)"
  failed="$(awk -F'\t' '$3 != "PASS"' "$RESULTS/checks.tsv" | wc -l)"
  version="$(on server "$(prog server) --version" 2>&1 | tail -n 1)"
  {
    echo "# SSSonector test results $(basename "$RESULTS")"
    echo
    if [ "$SSS_MODE" = local ]; then
      echo "- hosts: local namespace lab, server $SSS_SERVER_ADDR, client $SSS_CLIENT_ADDR"
    else
      echo "- hosts: ssh, server $SSS_SERVER_ADDR, client $SSS_CLIENT_ADDR"
    fi
    echo "- program: $version ($(prog server))"
    echo "- result: $passed passed, $failed failed"
    echo
    echo "| scenario | check | result | detail |"
    echo "| --- | --- | --- | --- |"
    awk -F'\t' '{ gsub(/\|/, "\\|"); printf "| %s | %s | %s | %s |\n", $1, $2, $3, $4 }' "$RESULTS/checks.tsv"
    echo
    echo "## Figures"
    echo
    echo "| scenario | figure | value |"
    echo "| --- | --- | --- |"
    awk -F'\t' '{ printf "| %s | %s | %s %s |\n", $1, $2, $3, $4 }' "$RESULTS/figures.tsv"
  } >"$summary"
  say ""
  say "summary: $summary"
  say "checks: $passed passed, $failed failed"
  [ "$failed" = 0 ] && [ "$passed" -gt 0 ]
}
