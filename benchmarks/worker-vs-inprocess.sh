#!/usr/bin/env bash
# Issue 11's benchmark: the plugin in the host's process against the plugin in esebackup-worker, in one run.
#   esebackup backup SET --kind full --out DIR --process-model in-process
#   esebackup backup SET --kind full --out DIR --process-model out-of-process    (the JIT worker of the host's build)
#   the same through the Native AOT worker                                       (unless --no-aot)
# Builds Release, publishes the AOT worker (linux-x64), generates a synthetic ESE file set of --size-gib GiB, then
# rotates the tools run by run (warm cache by default; --cache cold drops the page cache before each run, root only).
# Each run is a full backup staged with --out (phase one only: nothing is truncated, so every run backs up the same
# bytes) and the staged copy is deleted before the next run. Reports MB/s per tool (10^6 bytes of the set's files per
# second of wall clock, process start included), the per-run ratio worker/in-process (target >= 0.98), and, for the JIT
# and the AOT worker, the start time (process start to the answer to 'initialize') and the idle RSS after it.
#
# Usage: benchmarks/worker-vs-inprocess.sh [--dir DIR] [--size-gib N | --size-mib N] [--runs N] [--cache warm|cold] [--no-aot] [--keep] [--no-build]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bench-common.sh"

DIR="" SIZE_MIB=8192 RUNS=3 CACHE=warm AOT=1 KEEP=0 BUILD=1
while (($#)); do
  case $1 in
    --dir) DIR=$2; shift 2 ;;
    --size-gib) SIZE_MIB=$(($2 * 1024)); shift 2 ;;
    --size-mib) SIZE_MIB=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --cache) CACHE=$2; shift 2 ;;
    --no-aot) AOT=0; shift ;;
    --keep) KEEP=1; shift ;;
    --no-build) BUILD=0; shift ;;
    -h | --help) sed -n '2,15p' "$0"; exit 0 ;;
    *) die "unknown argument $1" ;;
  esac
done
[[ $CACHE == warm || $CACHE == cold ]] || die "--cache is warm or cold"
[[ $CACHE == warm ]] || can_drop_caches || die "--cache cold needs to drop the page cache (root, outside a container)"
command -v python3 >/dev/null || die "python3 is needed for the worker start-up measurement"

require_tools
WORK=$(make_work_dir "$DIR" $((SIZE_MIB * 2 / 1024 + 1)))
cleanup() { if ((KEEP)); then note "kept $WORK"; else rm -rf "$WORK"; fi; }
trap cleanup EXIT
((BUILD)) && build_release
JIT_WORKER="$HOST_DIR/plugins/ese/worker/esebackup-worker"
[[ -x $JIT_WORKER ]] || die "the JIT worker is missing: $JIT_WORKER"
AOT_WORKER="$WORK/aot/esebackup-worker"
if ((AOT)); then
  note "publishing the Native AOT worker (linux-x64; takes minutes)"
  dotnet publish "$REPO_ROOT/src/Worker/Worker.csproj" -c Release -r linux-x64 -p:PublishAot=true -o "$WORK/aot" -nologo -v quiet >&2 \
    || die "publishing the AOT worker failed"
  [[ -x $AOT_WORKER ]] || die "the AOT worker is missing: $AOT_WORKER"
  # A copy of the host's plugin folder whose worker/ is the AOT binary: the host runs whatever plugin.json names.
  mkdir -p "$WORK/aot-plugin"
  cp -r "$HOST_DIR/plugins/ese/." "$WORK/aot-plugin/"
  rm -rf "$WORK/aot-plugin/worker" && mkdir -p "$WORK/aot-plugin/worker" && cp "$AOT_WORKER" "$WORK/aot-plugin/worker/"
fi

SET="$WORK/set"
RESULTS="$WORK/results.tsv"
start_results "$RESULTS"
note "$(machine_summary "$WORK")"
note "generating a ${SIZE_MIB} MiB set in $SET"
generate_set "$SET" "$SIZE_MIB"
BYTES=$(tree_bytes "$SET")
export ESEBACKUP_Host__Repository="$WORK/repo" ESEBACKUP_EsePlugin__Engine__LockDirectory="$WORK/locks" \
  ESEBACKUP_EsePlugin__StateDirectory="$WORK/state" ESEBACKUP_Host__StateDirectory="$WORK/hooks"

backup() { # backup TOOL
  local args=(backup "$SET" --kind full --out "$WORK/out" --json)
  case $1 in
    in-process) args+=(--process-model in-process) ;;
    worker-jit) args+=(--process-model out-of-process) ;;
    worker-aot) args+=(--process-model out-of-process --plugin "$WORK/aot-plugin/plugin.json") ;;
  esac
  "$ESEBACKUP" "${args[@]}" >"$WORK/last.json" 2>"$WORK/last.err" || die "$1 failed: $(tail -5 "$WORK/last.err")"
}

measure() { # measure TOOL RUN
  local t0 t1 secs
  rm -rf "$WORK/out"; sync
  if [[ $CACHE == cold ]]; then cold_cache; else cat "$SET"/* >/dev/null; warm_tools; fi
  wait_quiet 20 "$WORK" || true
  t0=$(now)
  backup "$1"
  t1=$(now)
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')
  printf '%s\t%s\t%s\t%.3f\t%.1f\n' "$2" "$1" "$BYTES" "$secs" "$(awk -v b="$BYTES" -v s="$secs" 'BEGIN {print b / 1e6 / s}')" | tee -a "$RESULTS" >&2
}

TOOLS=(in-process worker-jit)
((AOT)) && TOOLS+=(worker-aot)
# Warm-up (not recorded): JIT caches, the plugin's remembered places, the catalog.
for tool in "${TOOLS[@]}"; do backup "$tool"; done
for run in $(seq 1 "$RUNS"); do
  n=${#TOOLS[@]}
  for k in $(seq 0 $((n - 1))); do measure "${TOOLS[$(((run + k) % n))]}" "$run"; done
done
rm -rf "$WORK/out"

# Start time and idle RSS of a worker: process start to the answer to 'initialize', then VmRSS one second later.
startup() { # startup EXECUTABLE -> "ms kib"
  python3 - "$1" <<'PY'
import json, subprocess, sys, time
def frame(obj):
    body = json.dumps(obj).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body
def read(p):
    n = None
    while True:
        line = p.stdout.readline().decode().strip()
        if not line:
            break
        k, _, v = line.partition(":")
        if k.lower() == "content-length":
            n = int(v)
    return json.loads(p.stdout.read(n))
t0 = time.monotonic()
p = subprocess.Popen([sys.argv[1]], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
p.stdin.write(frame({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"hostName": "bench", "hostVersion": "1", "contractVersions": ["1.1"], "configuration": {}}}))
p.stdin.flush()
answer = read(p)
ms = (time.monotonic() - t0) * 1000
assert "result" in answer, answer
time.sleep(1)
rss = next(int(l.split()[1]) for l in open(f"/proc/{p.pid}/status") if l.startswith("VmRSS:"))
p.stdin.write(frame({"jsonrpc": "2.0", "id": 2, "method": "shutdown", "params": {}}))
p.stdin.flush()
read(p)
p.stdin.close()
p.wait(timeout=30)
print(f"{ms:.1f} {rss}")
PY
}
STARTS="$WORK/startup.tsv"
: >"$STARTS"
for i in 1 2 3 4 5; do
  for w in jit aot; do
    [[ $w == aot ]] && ((AOT == 0)) && continue
    exe=$JIT_WORKER; [[ $w == aot ]] && exe=$AOT_WORKER
    wait_quiet 10 "$WORK" || true
    printf '%s\t%s\n' "$w" "$(startup "$exe")" >>"$STARTS"
  done
done

sel() { awk -F'\t' -v t="$1" 'NR > 1 && $2 == t {print $5}' "$RESULTS"; }
ratio() { paste <(sel "$1") <(sel in-process) | awk '{print $1 / $2}' | stats; }
echo
echo "$(machine_summary "$WORK")"
echo "set: ${SIZE_MIB} MiB database + 16 x 1 MiB logs ($BYTES bytes), $CACHE cache; $RUNS runs each, rotating; full backups staged with --out; MB = 10^6 bytes"
for tool in "${TOOLS[@]}"; do
  read -r m l h _ <<<"$(sel "$tool" | stats)"
  printf '%-28s %s\n' "$tool" "$m MB/s [$l-$h]"
done
for tool in "${TOOLS[@]:1}"; do
  read -r rm rl rh _ <<<"$(ratio "$tool")"
  printf '%-28s %s   target (median >= 0.98): %s\n' "ratio $tool/in-process" "$rm [$rl-$rh]" "$(awk -v r="$rm" 'BEGIN {print (r >= 0.98) ? "met" : "NOT met"}')"
done
for w in jit aot; do
  [[ $w == aot ]] && ((AOT == 0)) && continue
  read -r sm sl sh _ <<<"$(awk -v w="$w" '$1 == w {print $2}' "$STARTS" | stats)"
  read -r rm _ _ _ <<<"$(awk -v w="$w" '$1 == w {print $3 / 1024}' "$STARTS" | stats)"
  printf '%-28s start to initialize answered %s ms [%s-%s], idle RSS %s MiB\n' "worker ($w)" "$sm" "$sl" "$sh" "$rm"
done
[[ ${BUSY_RUNS:-0} == 0 ]] || echo "note: $BUSY_RUNS run(s) started while the machine was busy (other work on the machine)"
