#!/usr/bin/env bash
# compare.sh: the sandbox against the emulators a developer would pick instead,
# measured in one run on this machine, with ratios.
#
# The peers (oauth2-mock-server, Azurite) and the machine's RSA-2048 signing
# limit are measured by ../shared/bench/run-peers.sh (its README says how); the
# sandbox's side is driven by the same load driver, the same way: a built
# binary on a free port with a fresh data directory, a fresh walkthrough
# sandbox, every request through the sandbox's proxy over TLS (trusting its CA,
# authenticating as the sandbox), with authentication, RBAC and the trace on.
#
#   bench/compare.sh > compare.md         # ~8 minutes on 2 vCPU; progress on stderr
#
# The token part also measures, in the same run and alternating with the
# sandbox's token runs, the ceiling a token server can reach here: the same
# driver against bench/signceiling (a Go HTTPS server whose handler only
# signs one RS256 JWT of the sandbox's size and answers the same JSON), both
# through a CONNECT tunnel with TLS inside (the sandbox's path) and directly,
# and the RSA-2048 signing limit (`benchdriver rsabench`). sandbox/ceiling is
# the share of the gap to the signing limit that is the sandbox's own.
#
# Knobs (environment): REPEAT (3), TOKENS_N (4000, c=32), QUEUE_N (1500, c=16),
# COLD_SANDBOXES (500: sandboxes in the data directory for the cold-start and
# RSS measurement), SANDBOX_BIN (a prebuilt binary instead of `go build`),
# PEERS_BENCH (../shared/bench), BENCH_RUN (a fresh temporary directory),
# CEILING_BIN (a prebuilt bench/signceiling), RSABENCH_SECS (3: each of the signing
# limit's two runs), SKIP_PEERS=1 (the sandbox's side only), PEERS_RAW (a raw file of an earlier
# run-peers.sh run to compare with instead of running the peers), PROFILE=1 (CPU profile of the server
# during one token run and one queue run, and of the token ceiling over all its runs:
# `go tool pprof -top` output in BENCH_RUN),
# PARTS ("tokens queue cold": which of the sandbox's measurements to run; e.g.
# PARTS=tokens for the token runs alone, the table then shows only those).
#
# Every server binds 127.0.0.1 only; exactly the PIDs this script started are
# stopped at the end. Run it alone (flock) on a shared machine: every figure
# includes the driver's own CPU, on the same cores.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PEERS_BENCH=${PEERS_BENCH:-$ROOT/../shared/bench}
RUN=${BENCH_RUN:-$(mktemp -d "${TMPDIR:-/tmp}/sandbox-compare.XXXXXX")}
REPEAT=${REPEAT:-3}
TOKENS_N=${TOKENS_N:-4000}
QUEUE_N=${QUEUE_N:-1500}
COLD_SANDBOXES=${COLD_SANDBOXES:-500}
PARTS=${PARTS:-tokens queue cold}
part() { case " $PARTS " in *" $1 "*) return 0 ;; esac; return 1; }
mkdir -p "$RUN"
RAW=$RUN/sandbox-raw.txt
: >"$RAW"

log() { printf '# %s\n' "$*" >&2; }
field() { tr ' ' '\n' | awk -F= -v k="$1" '$1==k {print $2; exit}'; }
median() { sort -g | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]; else print "n/a"}'; }
rss_kib() { ps -o rss= -p "$1" | tr -d ' '; }

SPID= CPID=
stop_ceiling() {
  [ -n "$CPID" ] || return 0
  kill "$CPID" 2>/dev/null || true
  wait "$CPID" 2>/dev/null || true
  log "stopped signceiling (pid $CPID)"
  CPID=
}
stop_sandbox() {
  [ -n "$SPID" ] || return 0
  kill "$SPID" 2>/dev/null || true
  for _ in $(seq 1 150); do kill -0 "$SPID" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$SPID" 2>/dev/null && kill -KILL "$SPID" 2>/dev/null
  wait "$SPID" 2>/dev/null || true
  log "stopped sandbox (pid $SPID)"
  SPID=
}
trap 'stop_ceiling; stop_sandbox' EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------ peers
PEERS_RAW=${PEERS_RAW:-}
if [ -n "$PEERS_RAW" ]; then
  log "peers: reusing $PEERS_RAW"
  DRIVER=$RUN/benchdriver
  (cd "$PEERS_BENCH/driver" && go build -o "$DRIVER" .)
elif [ "${SKIP_PEERS:-0}" != 1 ]; then
  log "peers: $PEERS_BENCH/run-peers.sh (c=1 and c=32 tokens, c=1 and c=16 queue, ceilings)"
  BENCH_RUN=$RUN/peers SKIP_GCSTALL=1 REPEAT=$REPEAT TOKENS_N_C32=$TOKENS_N QUEUE_N=$QUEUE_N \
    "$PEERS_BENCH/run-peers.sh" >"$RUN/peers.md"
  PEERS_RAW=$(ls -t "$RUN"/peers/raw-*.txt | head -1)
  DRIVER=$RUN/peers/benchdriver
else
  DRIVER=$RUN/benchdriver
  (cd "$PEERS_BENCH/driver" && go build -o "$DRIVER" .)
fi

# ------------------------------------------------------------------ sandbox
BIN=${SANDBOX_BIN:-}
if [ -z "$BIN" ]; then
  BIN=$RUN/sandbox
  log "building the sandbox -> $BIN"
  (cd "$ROOT" && go build -o "$BIN" ./cmd/sandbox)
fi
CEIL=${CEILING_BIN:-}
if [ -z "$CEIL" ] && part tokens; then
  CEIL=$RUN/signceiling
  (cd "$ROOT" && go build -o "$CEIL" ./bench/signceiling)
fi
DATA=$RUN/data
rm -rf "$DATA"

# start_sandbox: a fresh process on a free port; sets SPID, URL, PPROF, COLD_MS
start_sandbox() {
  local out=$RUN/sandbox.out err=$RUN/sandbox.err t0
  : >"$out"; : >"$err"
  t0=$(date +%s%N)
  # The per-sandbox limits (a classroom's protection: proxy rate, queue
  # size) are lifted: this measures throughput on QUEUE_N messages; so is
  # the creation rate per address (the cold start's COLD_SANDBOXES come
  # from one). Older binaries ignore the variables.
  SANDBOX_CREATES_PER_MINUTE=${SANDBOX_CREATES_PER_MINUTE:-1000000} SANDBOX_CREATES_BURST=${SANDBOX_CREATES_BURST:-1000000} \
  SANDBOX_MAX_SANDBOXES=${SANDBOX_MAX_SANDBOXES:-$((COLD_SANDBOXES + 100))} \
  SANDBOX_PROXY_RATE=${SANDBOX_PROXY_RATE:-1000000} SANDBOX_PROXY_BURST=${SANDBOX_PROXY_BURST:-1000000} \
  SANDBOX_QUEUE_MESSAGES=${SANDBOX_QUEUE_MESSAGES:-100000} SANDBOX_QUEUE_BYTES=${SANDBOX_QUEUE_BYTES:-100000000} \
  SANDBOX_SANDBOX_QUEUE_MESSAGES=${SANDBOX_SANDBOX_QUEUE_MESSAGES:-100000} SANDBOX_SANDBOX_QUEUE_BYTES=${SANDBOX_SANDBOX_QUEUE_BYTES:-100000000} \
    "$BIN" --addr 127.0.0.1:0 --data "$DATA" --pprof 127.0.0.1:0 --log-level warn >"$out" 2>"$err" &
  SPID=$!
  for _ in $(seq 1 600); do
    URL=$(sed -n 's/^Azure auth sandbox listening on \(http:[^ ]*\)$/\1/p' "$out")
    [ -n "$URL" ] && break
    kill -0 "$SPID" 2>/dev/null || { cat "$err" >&2; log "sandbox exited"; exit 1; }
    sleep 0.005
  done
  [ -n "$URL" ] || { log "sandbox did not start"; exit 1; }
  COLD_MS=$("$DRIVER" ready -url "$URL/healthz" -since "$t0" -pid "$SPID" | field ms)
  PPROF=$(sed -n 's|^pprof on \(http://[^ ]*\)/debug/pprof/$|\1|p' "$err")
  log "sandbox pid $SPID at $URL, cold start $COLD_MS ms"
}
api() { curl -fsS -H 'Content-Type: application/json' "$@"; }

start_sandbox
COLD0=$COLD_MS RSS0=$(rss_kib "$SPID")
api -X POST "$URL/api/sandboxes" -d '{"scenario":"walkthrough"}' >"$RUN/sb.json"
SB=$(jq -r .id "$RUN/sb.json") KEY=$(jq -r .accessKey "$RUN/sb.json")
PROXY_PASS=$(jq -r '.proxyPassword // .accessKey' "$RUN/sb.json")
TENANT=$(jq -r .tenantId "$RUN/sb.json") SUB=$(jq -r .subscriptionId "$RUN/sb.json")
RG=$(jq -r .resourceGroup "$RUN/sb.json")
ACCOUNT=$(jq -r .queueUrl "$RUN/sb.json" | sed -E 's|^https://([^.]+)\..*|\1|')
PROXY="http://$SB:$PROXY_PASS@${URL#http://}"
CA=$DATA/ca.pem
TOKEN_URL="https://login.microsoftonline.com/$TENANT/oauth2/v2.0/token"
form() { # form CLIENT_LABEL SCOPE
  printf 'grant_type=client_credentials&client_id=%s&client_secret=%s&scope=%s' \
    "$(jq -r ".principals.$1.clientId" "$RUN/sb.json")" \
    "$(jq -rj ".principals.$1.clientSecret" "$RUN/sb.json" | jq -sRr @uri)" \
    "$(printf %s "$2" | jq -sRr @uri)"
}
token() { # token CLIENT_LABEL SCOPE: an access token through the proxy
  curl -fsS --proxy "$PROXY" --cacert "$CA" -d "$(form "$1" "$2")" "$TOKEN_URL" | jq -r .access_token
}
# localDev gets "Storage Queue Data Contributor" on the account, granted by the
# owner through ARM, as a learner would.
ARM=$(token owner https://management.azure.com/.default)
SCOPE="/subscriptions/$SUB/resourceGroups/$RG/providers/Microsoft.Storage/storageAccounts/$ACCOUNT"
curl -fsS --proxy "$PROXY" --cacert "$CA" -X PUT -H "Authorization: Bearer $ARM" -H 'Content-Type: application/json' \
  "https://management.azure.com$SCOPE/providers/Microsoft.Authorization/roleAssignments/$(cat /proc/sys/kernel/random/uuid)?api-version=2022-04-01" \
  -d "{\"properties\":{\"roleDefinitionId\":\"/subscriptions/$SUB/providers/Microsoft.Authorization/roleDefinitions/974c5e8b-45b9-4653-ba55-5f855dd0fb88\",\"principalId\":\"$(jq -r .principals.localDev.objectId "$RUN/sb.json")\",\"principalType\":\"ServicePrincipal\"}}" >/dev/null
QTOKEN=$(token localDev https://storage.azure.com/.default)
TFORM=$(form localDev https://storage.azure.com/.default)

# The server's CPU time (user+system, from /proc) around a run: on a shared
# machine its cost per operation is steadier than a rate.
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{print ($14+$15)*1000/hz}' "/proc/$1/stat"; }
# The driver's CPU time: this shell's reaped children (cutime+cstime), which
# include the driver once its run ends; it shares the two cores with the server.
children_cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{print ($16+$17)*1000/hz}' "/proc/$$/stat"; }
record() { # record TAG PID CMD...: the driver's lines, plus "server cpu_ms= ops= us_per_op=" of PID
  local tag=$1 pid=$2 out c0 c1 ops d0 d1; shift 2
  log "$tag"
  c0=$(cpu_ms "$pid") d0=$(children_cpu_ms)
  out=$("$@") || { log "$tag: command failed"; return 1; }
  c1=$(cpu_ms "$pid") d1=$(children_cpu_ms)
  ops=$(printf '%s\n' "$out" | tr ' ' '\n' | awk -F= '$1=="ok" {s+=$2} END {print s+0}')
  out=$(printf '%s\nserver cpu_ms=%s ops=%s us_per_op=%s\ndriver cpu_ms=%s ops=%s us_per_op=%s\n' "$out" \
    "$(awk -v a="$c0" -v b="$c1" 'BEGIN{print b-a}')" "$ops" \
    "$(awk -v a="$c0" -v b="$c1" -v n="$ops" 'BEGIN{if (n>0) printf "%.0f", (b-a)*1000/n; else print "n/a"}')" \
    "$(awk -v a="$d0" -v b="$d1" 'BEGIN{print b-a}')" "$ops" \
    "$(awk -v a="$d0" -v b="$d1" -v n="$ops" 'BEGIN{if (n>0) printf "%.0f", (b-a)*1000/n; else print "n/a"}')")
  printf '%s\n' "$out" >&2
  printf '%s\n' "$out" | sed "s|^|$tag |" >>"$RAW"
}
run_tokens() { "$DRIVER" tokens -url "$TOKEN_URL" -ca "$CA" -proxy "$PROXY" -n "$TOKENS_N" -c 32 -form "$TFORM"; }
# The ceiling: the same form to the same URL through signceiling's CONNECT
# port (it ignores proxy credentials, so none are sent), then to its HTTPS port.
run_ceiling() { "$DRIVER" tokens -url "$TOKEN_URL" -ca "$RUN/ceiling-ca.pem" -proxy "$CEIL_PROXY" -n "$TOKENS_N" -c 32 -form "$TFORM"; }
run_ceiling_direct() { "$DRIVER" tokens -url "$CEIL_HTTPS/token" -ca "$RUN/ceiling-ca.pem" -n "$TOKENS_N" -c 32 -form "$TFORM"; }
start_ceiling() { # a sandbox token answer to copy, then signceiling on free ports; sets CPID, CEIL_PROXY, CEIL_HTTPS
  curl -fsS --proxy "$PROXY" --cacert "$CA" -d "$TFORM" "$TOKEN_URL" >"$RUN/token-sample.json"
  local prof=()
  [ "${PROFILE:-0}" = 1 ] && prof=(-cpuprofile "$RUN/ceiling.pprof")
  "$CEIL" -sample "$RUN/token-sample.json" -ca "$RUN/ceiling-ca.pem" "${prof[@]}" >"$RUN/ceiling.out" 2>"$RUN/ceiling.err" &
  CPID=$!
  for _ in $(seq 1 600); do
    CEIL_PROXY=$(sed -n 's/^signceiling proxy \(http:[^ ]*\)$/\1/p' "$RUN/ceiling.out")
    CEIL_HTTPS=$(sed -n 's/^signceiling https \(https:[^ ]*\)$/\1/p' "$RUN/ceiling.out")
    [ -n "$CEIL_PROXY" ] && [ -n "$CEIL_HTTPS" ] && break
    kill -0 "$CPID" 2>/dev/null || { cat "$RUN/ceiling.err" >&2; log "signceiling exited"; exit 1; }
    sleep 0.01
  done
  [ -n "$CEIL_PROXY" ] && [ -n "$CEIL_HTTPS" ] || { log "signceiling did not start"; exit 1; }
  log "signceiling pid $CPID at $CEIL_PROXY (CONNECT) and $CEIL_HTTPS"
}
run_queue() { "$DRIVER" queue -account-url "https://$ACCOUNT.queue.core.windows.net" -queue bench -ca "$CA" \
  -proxy "$PROXY" -token "$QTOKEN" -n "$QUEUE_N" -c 16; }
profile() { # profile NAME CMD...: the command while the server is CPU-profiled
  local name=$1; shift
  curl -fsS -o "$RUN/$name.pprof" "$PPROF/debug/pprof/profile?seconds=${PROFILE_SECS:-5}" &
  local cp=$!
  "$@" >/dev/null
  wait "$cp"
  (cd "$ROOT" && go tool pprof -top -nodecount=25 "$BIN" "$RUN/$name.pprof") >"$RUN/$name.top" 2>&1 || true
  log "profile: $RUN/$name.top"
}

# The sandbox's token runs alternate with the ceiling's and the signing
# limit's, so that other load on the machine falls on all of them alike.
if part tokens; then
  start_ceiling
  for _ in $(seq "$REPEAT"); do
    record tok32 "$SPID" run_tokens
    record ceil32 "$CPID" run_ceiling
    record ceil32d "$CPID" run_ceiling_direct
    log "rsabench"
    "$DRIVER" rsabench -d "${RSABENCH_SECS:-3}s" | sed 's/^/rsabench /' | tee -a "$RAW" >&2
  done
  stop_ceiling
  if [ "${PROFILE:-0}" = 1 ]; then # the ceiling's profile over all its runs, for comparison
    (cd "$ROOT" && go tool pprof -top -nodecount=25 "$CEIL" "$RUN/ceiling.pprof") >"$RUN/ceiling.top" 2>&1 || true
    log "profile: $RUN/ceiling.top"
  fi
fi
if part queue; then for _ in $(seq "$REPEAT"); do record q16 "$SPID" run_queue; done; fi
if [ "${PROFILE:-0}" = 1 ]; then
  if part tokens; then profile tokens run_tokens; fi
  if part queue; then profile queue run_queue; fi
fi
RSS1=$(rss_kib "$SPID")
stop_sandbox

# cold start and RSS with COLD_SANDBOXES walkthrough sandboxes in the data directory
COLDS=() RSSES=()
if part cold; then
  start_sandbox
  have=1 # the walkthrough sandbox of the runs
  log "creating $((COLD_SANDBOXES - have)) more sandboxes"
  for _ in $(seq $((COLD_SANDBOXES - have))); do api -X POST "$URL/api/sandboxes" -d '{}' >/dev/null; done
  stop_sandbox
  for _ in $(seq "$REPEAT"); do
    start_sandbox
    sleep 1
    COLDS+=("$COLD_MS"); RSSES+=("$(rss_kib "$SPID")")
    stop_sandbox
  done
fi

# ------------------------------------------------------------------ table
lines() { awk -v t="$1" -v p="$2" '$1==t && index(substr($0, length(t)+2), p" ")==1 {print substr($0, length(t)+2)}' "$3"; }
med() { lines "$1" "$2" "$3" | while read -r l; do echo "$l" | field "$4"; done | median; }
runs() { lines "$1" "$2" "$3" | while read -r l; do echo "$l" | field "$4"; done | paste -sd/ -; }
errs() { lines "$1" "$2" "$3" | while read -r l; do echo "$l" | field err; done | awk '{s+=$1} END {print s+0}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b+0 > 0 && a+0 > 0) printf "%.2f", a/b; else print "n/a" }'; }

S_TOK=$(med tok32 tokens "$RAW" rps)
S_ENQ=$(med q16 enqueue "$RAW" rps)
S_DEQ=$(med q16 dequeue+delete "$RAW" rps)
CPU=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
echo "Date: $(date -u +%Y-%m-%dT%H:%M:%SZ); nproc: $(nproc); CPU: $CPU; $(go version | awk '{print $3}'); sandbox $(cd "$ROOT" && git describe --always --dirty 2>/dev/null || echo '?')"
echo "Medians of $REPEAT runs; every request of the sandbox through its proxy over TLS, authenticated, RBAC and trace on. Raw lines: $RAW${PEERS_RAW:+ and $PEERS_RAW}"
echo
echo "| measured in one run | sandbox (runs) | peer or limit (runs) | ratio |"
echo "|---|---|---|---|"
rsa2() { lines rsabench rsabench "$1" | grep 'goroutines=2 ' | while read -r l; do echo "$l" | field signs_per_s; done; }
# the signing limit: measured between the sandbox's token runs, else the peers'
if part tokens; then RSA2=$(rsa2 "$RAW" | median) RSA2R=$(rsa2 "$RAW" | paste -sd/ -)
elif [ -n "$PEERS_RAW" ]; then RSA2=$(rsa2 "$PEERS_RAW" | median) RSA2R=$(rsa2 "$PEERS_RAW" | paste -sd/ -)
else RSA2= RSA2R=; fi
if part tokens || [ -n "$PEERS_RAW" ]; then
  echo "| client-credentials tokens/s, 32 clients | $S_TOK ($(runs tok32 tokens "$RAW" rps)) | RSA-2048 signing limit, 2 goroutines: $RSA2 ($RSA2R) | $(ratio "$S_TOK" "$RSA2") |"
fi
if [ -n "$PEERS_RAW" ]; then
  O_TOK=$(med tok32 tokens "$PEERS_RAW" rps)
  echo "| the same | $S_TOK | oauth2-mock-server: $O_TOK ($(runs tok32 tokens "$PEERS_RAW" rps)) | $(ratio "$S_TOK" "$O_TOK") |"
fi
if part tokens; then
  # The ceiling, measured between the sandbox's runs. The machine's other
  # load moves rates; CPU per token (server + driver, both on the two
  # cores) moves less, so the ratio is also given as the rates the two
  # cores allow at those costs.
  C_TOK=$(med ceil32 tokens "$RAW" rps) CD_TOK=$(med ceil32d tokens "$RAW" rps)
  S_CPU=$(awk -v a="$(med tok32 server "$RAW" us_per_op)" -v b="$(med tok32 driver "$RAW" us_per_op)" 'BEGIN { if (a+b > 0) printf "%.1f", 2e6/(a+b); else print "n/a" }')
  C_CPU=$(awk -v a="$(med ceil32 server "$RAW" us_per_op)" -v b="$(med ceil32 driver "$RAW" us_per_op)" 'BEGIN { if (a+b > 0) printf "%.1f", 2e6/(a+b); else print "n/a" }')
  echo "| the same | $S_TOK | signing-server ceiling (bench/signceiling) through CONNECT + TLS: $C_TOK ($(runs ceil32 tokens "$RAW" rps)) | $(ratio "$S_TOK" "$C_TOK") |"
  echo "| the same by CPU per token: 2 cores / (server + driver µs) | $S_CPU | the ceiling through CONNECT + TLS: $C_CPU | $(ratio "$S_CPU" "$C_CPU") |"
  echo "| the signing-server ceiling, through CONNECT + TLS | $C_TOK | RSA-2048 signing limit: $RSA2 | $(ratio "$C_TOK" "$RSA2") |"
  echo "| the signing-server ceiling, direct HTTPS | $CD_TOK ($(runs ceil32d tokens "$RAW" rps)) | RSA-2048 signing limit: $RSA2 | $(ratio "$CD_TOK" "$RSA2") |"
fi
if [ -n "$PEERS_RAW" ]; then
  A_ENQ=$(med q16 enqueue "$PEERS_RAW" rps)
  A_DEQ=$(med q16 dequeue+delete "$PEERS_RAW" rps)
  echo "| queue enqueue/s, 16 clients, azqueue SDK | $S_ENQ ($(runs q16 enqueue "$RAW" rps)) | Azurite: $A_ENQ ($(runs q16 enqueue "$PEERS_RAW" rps)) | $(ratio "$S_ENQ" "$A_ENQ") |"
  echo "| queue dequeue+delete pairs/s | $S_DEQ ($(runs q16 dequeue+delete "$RAW" rps)) | Azurite: $A_DEQ ($(runs q16 dequeue+delete "$PEERS_RAW" rps)) | $(ratio "$S_DEQ" "$A_DEQ") |"
else
  echo "| queue enqueue/s, 16 clients, azqueue SDK | $S_ENQ ($(runs q16 enqueue "$RAW" rps)) | (SKIP_PEERS) | |"
  echo "| queue dequeue+delete pairs/s | $S_DEQ ($(runs q16 dequeue+delete "$RAW" rps)) | (SKIP_PEERS) | |"
fi
echo
echo "| sandbox latency (median of runs) | p50 ms | p99 ms | errors |"
echo "|---|---|---|---|"
echo "| tokens c=32 | $(med tok32 tokens "$RAW" p50_ms) | $(med tok32 tokens "$RAW" p99_ms) | $(errs tok32 tokens "$RAW") |"
if part tokens; then echo "| signing-server ceiling c=32, through CONNECT + TLS | $(med ceil32 tokens "$RAW" p50_ms) | $(med ceil32 tokens "$RAW" p99_ms) | $(errs ceil32 tokens "$RAW") |"; fi
echo "| enqueue c=16 | $(med q16 enqueue "$RAW" p50_ms) | $(med q16 enqueue "$RAW" p99_ms) | $(errs q16 enqueue "$RAW") |"
echo "| dequeue+delete c=16 | $(med q16 dequeue+delete "$RAW" p50_ms) | $(med q16 dequeue+delete "$RAW" p99_ms) | $(errs q16 dequeue+delete "$RAW") |"
echo
echo "| server CPU per operation (user+system, /proc; a queue run counts enqueues and dequeue+delete pairs) | µs/op median (runs) |"
echo "|---|---|"
echo "| tokens c=32 | $(med tok32 server "$RAW" us_per_op) ($(runs tok32 server "$RAW" us_per_op)) |"
if part tokens; then echo "| the signing-server ceiling: tokens c=32 through CONNECT + TLS | $(med ceil32 server "$RAW" us_per_op) ($(runs ceil32 server "$RAW" us_per_op)) |"; fi
if part tokens; then echo "| the signing-server ceiling: tokens c=32 direct | $(med ceil32d server "$RAW" us_per_op) ($(runs ceil32d server "$RAW" us_per_op)) |"; fi
if part tokens; then echo "| CPU per RS256 signature at the signing limit (2 cores / its signs per second) | $(awk -v r="${RSA2:-}" 'BEGIN { if (r+0 > 0) printf "%.0f", 2e6/r; else print "n/a" }') |"; fi
echo "| queue c=16 | $(med q16 server "$RAW" us_per_op) ($(runs q16 server "$RAW" us_per_op)) |"
echo "| the driver (client side, same cores): tokens c=32 | $(med tok32 driver "$RAW" us_per_op) ($(runs tok32 driver "$RAW" us_per_op)) |"
if part tokens; then echo "| the driver: ceiling c=32 through CONNECT + TLS | $(med ceil32 driver "$RAW" us_per_op) ($(runs ceil32 driver "$RAW" us_per_op)) |"; fi
echo "| the driver: queue c=16 | $(med q16 driver "$RAW" us_per_op) ($(runs q16 driver "$RAW" us_per_op)) |"
echo
echo "| sandbox process | cold start ms (spawn -> /healthz 200) | RSS KiB |"
echo "|---|---|---|"
echo "| empty data directory, then after the runs | $COLD0 | $RSS0 idle, $RSS1 after the runs |"
echo "| $COLD_SANDBOXES sandboxes (runs: $(printf '%s\n' "${COLDS[@]}" | paste -sd/ -) ms; $(printf '%s\n' "${RSSES[@]}" | paste -sd/ -) KiB) | $(printf '%s\n' "${COLDS[@]}" | median) | $(printf '%s\n' "${RSSES[@]}" | median) idle, 1 s after start |"
if [ -f "$RUN/peers.md" ]; then
  echo
  echo "Peers' own table (run-peers.sh, same run):"
  cat "$RUN/peers.md"
fi
