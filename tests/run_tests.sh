#!/usr/bin/env bash
# SSSonector's test framework: four scenarios against a server and a client host.
#
#   tests/run_tests.sh -s SERVER_IP -c CLIENT_IP [options]   two real hosts, reached over ssh
#   tests/run_tests.sh [options]                             the same on a local namespace lab
#
# ssh mode: the hosts are reached as root (or as -u USER with passwordless sudo, `sudo -n`), by
# key (-i KEY or the ssh agent; BatchMode, no password prompts). The script copies the artifact (a
# bundle tarball from build.ts, for each host's `uname -m`) and the configurations it writes into
# /tmp/sssonector-test-STAMP-server and -client on the hosts, and removes them again (-k keeps
# them). The client reaches the server at SERVER_IP:PORT. The hosts need openssl, iperf3, ping,
# ss, perl and sha256sum; this machine needs bash, ssh and openssl.
#
# Local mode (no -s/-c, root): two network namespaces joined by veth, named after this process's
# pid, removed on exit; the program is the checkout launcher ./sssonector unless -a names a bundle.
#
# Results: tests/results/YYYYMMDD_HHMMSS/ (or under -r DIR): a log per scenario and summary.md
# with every check's pass or fail and the measured figures. Exit status 1 when anything failed,
# 2 for a usage error.
#
# Thresholds (environment; generous defaults, so a busy machine passes):
#   SSS_MAX_CPU_PERCENT=200  average CPU of each tunnel process during 02's traffic
#   SSS_MAX_RSS_MB=400       peak resident memory of each tunnel process
#   SSS_MIN_MBPS=10          iperf3 throughput each way through the tunnel (03)
#   SSS_MAX_RTT_MS=50        average ping round trip through the tunnel (03)
#   SSS_FILE_MB=8            size of the file 02 moves through the tunnel
set -euo pipefail

ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
SCENARIO_DIR="$ROOT/tests/scenarios"

usage() {
  cat <<USAGE
usage: tests/run_tests.sh [-s SERVER_IP -c CLIENT_IP] [-u USER] [-i KEY] [-a ARTIFACT]
                          [-p PORT] [-t SECONDS] [-r DIR] [-o LIST] [-k]
  -s IP        server host (ssh mode; with -c)
  -c IP        client host (ssh mode; with -s)
  -u USER      ssh user (default root; another user needs passwordless sudo)
  -i KEY       ssh identity file (SSH_OPTIONS adds more ssh options, e.g. "-o Port=2222")
  -a ARTIFACT  bundle tarball to deploy (default: dist/sssonector-ARCH.tar.gz in ssh mode,
               the checkout launcher ./sssonector in local mode)
  -p PORT      tunnel port (default 443)
  -t SECONDS   iperf3 duration per direction (default 5)
  -r DIR       results folder base (default tests/results)
  -o LIST      scenarios to run, e.g. 01,02 (default all; 01 always runs: it makes the certificates)
  -k           keep the remote folders (ssh mode) for inspection
USAGE
}

fail_usage() {
  echo "run_tests.sh: $*" >&2
  echo "Run 'tests/run_tests.sh -h' for usage." >&2
  exit 2
}

SERVER_IP="" CLIENT_IP="" SSH_USER=root IDENTITY="" ARTIFACT="" KEEP=0 ONLY=""
export SSS_PORT=443 SSS_IPERF_SECONDS=5
RESULTS_BASE="$ROOT/tests/results"
while getopts ":s:c:u:i:a:p:t:r:o:kh" opt; do
  case "$opt" in
  s) SERVER_IP="$OPTARG" ;;
  c) CLIENT_IP="$OPTARG" ;;
  u) SSH_USER="$OPTARG" ;;
  i) IDENTITY="$OPTARG" ;;
  a) ARTIFACT="$OPTARG" ;;
  p) SSS_PORT="$OPTARG" ;;
  t) SSS_IPERF_SECONDS="$OPTARG" ;;
  r) RESULTS_BASE="$OPTARG" ;;
  o) ONLY="$OPTARG" ;;
  k) KEEP=1 ;;
  h)
    usage
    exit 0
    ;;
  :) fail_usage "-$OPTARG needs a value" ;;
  *) fail_usage "unknown option -$OPTARG" ;;
  esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || fail_usage "unexpected argument \"$1\""
if { [ -n "$SERVER_IP" ] && [ -z "$CLIENT_IP" ]; } || { [ -z "$SERVER_IP" ] && [ -n "$CLIENT_IP" ]; }; then
  fail_usage "-s SERVER_IP and -c CLIENT_IP go together (or neither, for the local lab)"
fi
[[ "$SSS_PORT" =~ ^[0-9]+$ ]] && [ "$SSS_PORT" -ge 1 ] && [ "$SSS_PORT" -le 65535 ] ||
  fail_usage "-p \"$SSS_PORT\" is not a port; expected 1 to 65535"
[[ "$SSS_IPERF_SECONDS" =~ ^[0-9]+$ ]] && [ "$SSS_IPERF_SECONDS" -ge 1 ] ||
  fail_usage "-t \"$SSS_IPERF_SECONDS\" is not allowed; expected whole seconds, 1 or more"
if [ -n "$IDENTITY" ] && [ ! -r "$IDENTITY" ]; then fail_usage "-i $IDENTITY: no such readable file"; fi
if [ -n "$ARTIFACT" ] && [ ! -f "$ARTIFACT" ]; then fail_usage "-a $ARTIFACT: no such file"; fi
if [ -n "$ARTIFACT" ]; then ARTIFACT="$(readlink -f "$ARTIFACT")"; fi
if [ -z "$SERVER_IP" ] && [ "$(id -u)" != 0 ]; then
  fail_usage "the local lab needs root (network namespaces, TUN devices); run with sudo, or give -s and -c"
fi

# The results folder: a new one per run.
STAMP="$(date +%Y%m%d_%H%M%S)"
mkdir -p "$RESULTS_BASE"
RESULTS="$RESULTS_BASE/$STAMP"
n=1
while ! mkdir "$RESULTS" 2>/dev/null; do
  RESULTS="$RESULTS_BASE/${STAMP}_$n"
  n=$((n + 1))
done
RESULTS="$(cd "$RESULTS" && pwd)"
# Private working folder of this machine (keys fetched for checks): never in the results.
WORK="$(mktemp -d "${TMPDIR:-/tmp}/sssonector-run-tests-$$-XXXXXX")"
export RESULTS WORK SCENARIO_DIR

if [ -n "$SERVER_IP" ]; then
  export SSS_MODE=ssh SSS_SERVER_ADDR="$SERVER_IP" SSS_CLIENT_ADDR="$CLIENT_IP"
  export SSS_SSH_USER="$SSH_USER" SSS_SSH_IDENTITY="$IDENTITY"
  export SSS_SERVER_DIR="/tmp/sssonector-test-$STAMP-server"
  export SSS_CLIENT_DIR="/tmp/sssonector-test-$STAMP-client"
else
  export SSS_MODE=local SSS_SERVER_ADDR=198.18.0.1 SSS_CLIENT_ADDR=198.18.0.2
  export SSS_SERVER_NS="sss-rt$$-srv" SSS_CLIENT_NS="sss-rt$$-cli"
  export SSS_SERVER_DIR="$WORK/server" SSS_CLIENT_DIR="$WORK/client"
fi
# shellcheck source=scenarios/lib.sh
. "$SCENARIO_DIR/lib.sh"

cleanup() {
  local status=$?
  set +e
  for host in server client; do
    if [ -n "$(host_dir "$host")" ]; then stop_tunnel "$host" >/dev/null 2>&1; fi
  done
  if [ "$SSS_MODE" = local ]; then
    for ns in "$SSS_SERVER_NS" "$SSS_CLIENT_NS"; do
      if ip netns list | grep -qw "$ns"; then
        for pid in $(ip netns pids "$ns"); do kill -9 "$pid" 2>/dev/null; done
        ip netns del "$ns"
      fi
    done
  elif [ "$KEEP" = 0 ]; then
    on server "rm -rf $SSS_SERVER_DIR" >/dev/null 2>&1
    on client "rm -rf $SSS_CLIENT_DIR" >/dev/null 2>&1
  fi
  if [ "$SSS_MODE" = ssh ]; then
    close_ssh server
    close_ssh client
  fi
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "results: $RESULTS"
if [ "$SSS_MODE" = local ]; then
  say "local lab: namespaces $SSS_SERVER_NS ($SSS_SERVER_ADDR) and $SSS_CLIENT_NS ($SSS_CLIENT_ADDR)"
  ip netns add "$SSS_SERVER_NS"
  ip netns add "$SSS_CLIENT_NS"
  ip link add "vrs$$" netns "$SSS_SERVER_NS" type veth peer name "vrc$$" netns "$SSS_CLIENT_NS"
  ip -n "$SSS_SERVER_NS" addr add "$SSS_SERVER_ADDR/24" dev "vrs$$"
  ip -n "$SSS_CLIENT_NS" addr add "$SSS_CLIENT_ADDR/24" dev "vrc$$"
  for ns in "$SSS_SERVER_NS" "$SSS_CLIENT_NS"; do
    ip -n "$ns" link set lo up
  done
  ip -n "$SSS_SERVER_NS" link set "vrs$$" up
  ip -n "$SSS_CLIENT_NS" link set "vrc$$" up
  mkdir -p "$SSS_SERVER_DIR" "$SSS_CLIENT_DIR"
else
  say "ssh mode: server $SSH_USER@$SERVER_IP, client $SSH_USER@$CLIENT_IP"
  for host in server client; do
    if ! on "$host" "mkdir -p $(host_dir "$host")" 2>"$WORK/ssh.err"; then
      echo "run_tests.sh: cannot reach the $host $(host_addr "$host") over ssh as $SSH_USER: $(tail -n 1 "$WORK/ssh.err"); check ssh $SSH_USER@$(host_addr "$host") and, for a non-root user, passwordless sudo" >&2
      exit 1
    fi
  done
fi

deploy() {
  local host="$1" artifact="$ARTIFACT" arch
  if [ -z "$artifact" ] && [ "$SSS_MODE" = local ]; then
    echo "$ROOT/sssonector" >"$WORK/$host.program"
    return
  fi
  if [ -z "$artifact" ]; then
    arch="$(on "$host" "uname -m")"
    artifact="$ROOT/dist/sssonector-$arch.tar.gz"
    if [ ! -f "$artifact" ]; then
      echo "run_tests.sh: $artifact is missing for the $host ($arch); build it with: ./sssonector build (or pass -a ARTIFACT)" >&2
      exit 1
    fi
  fi
  say "copying $(basename "$artifact") to the $host"
  on "$host" "cat > sssonector.tar.gz && tar -xzf sssonector.tar.gz && rm sssonector.tar.gz" <"$artifact"
  echo "./sssonector/sssonector" >"$WORK/$host.program"
}
deploy server
deploy client
write_configs

scenarios=()
for dir in "$SCENARIO_DIR"/[0-9][0-9]_*/; do
  name="$(basename "$dir")"
  if [ -n "$ONLY" ] && [ "${name:0:2}" != 01 ] && [[ ",$ONLY," != *",${name:0:2},"* ]]; then continue; fi
  scenarios+=("$name")
done

for name in "${scenarios[@]}"; do
  say "== $name"
  started=$SECONDS
  set +e
  SSS_SCENARIO="$name" bash "$SCENARIO_DIR/$name/run.sh" 2>&1 | tee "$RESULTS/$name.log"
  code="${PIPESTATUS[0]}"
  set -e
  if [ "$code" != 0 ]; then record "$name" "scenario script finished" FAIL "exit code $code"; fi
  say "== $name: $((SECONDS - started)) s"
  # The tunnel logs of the scenario go into the results beside its own log.
  SSS_SCENARIO="$name" stop_tunnel server >/dev/null 2>&1 || true
  SSS_SCENARIO="$name" stop_tunnel client >/dev/null 2>&1 || true
done

write_summary
