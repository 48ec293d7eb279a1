#!/usr/bin/env bash
# Issue 12's comparison: stream mode throughput against tar, in one run, on the same set, alternating:
#   tar -cf - SET | cat > /dev/null                                (run from SET's parent, so SET is a relative name)
#   esebackup backup SET --kind copy --out - | cat > /dev/null    (verify every page and log segment + SHA-256 + pax tar)
# Builds Release, generates a synthetic ESE file set (one database + 16 x 1 MiB logs, 8 KiB pages), reads it once
# (warm cache: both tools read from memory, so the comparison is CPU and pipe, not disk), then alternates the two
# tools. Reports MB/s of each (10^6 bytes of the set's files per second of wall clock, process start included) and
# the per-pair ratio. A copy backup is used because it never truncates: every run leaves the source unchanged.
#
# Usage: benchmarks/stream-vs-tar.sh [--dir DIR] [--size-mib N] [--runs N] [--keep] [--no-build]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bench-common.sh"

DIR="" SIZE_MIB=1024 RUNS=5 KEEP=0 BUILD=1
while (($#)); do
  case $1 in
    --dir) DIR=$2; shift 2 ;;
    --size-mib) SIZE_MIB=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --no-build) BUILD=0; shift ;;
    -h | --help) sed -n '2,11p' "$0"; exit 0 ;;
    *) die "unknown argument $1" ;;
  esac
done

require_tools
WORK=$(make_work_dir "$DIR" $((SIZE_MIB / 1024 + 1)))
cleanup() { if ((KEEP)); then note "kept $WORK"; else rm -rf "$WORK"; fi; }
trap cleanup EXIT
((BUILD)) && build_release
SET="$WORK/set"
RESULTS="$WORK/results.tsv"
start_results "$RESULTS"
note "$(machine_summary "$WORK")"
note "generating a ${SIZE_MIB} MiB set in $SET"
generate_set "$SET" "$SIZE_MIB"
BYTES=$(tree_bytes "$SET")
export ESEBACKUP_Host__Repository="$WORK/repo" ESEBACKUP_EsePlugin__Engine__LockDirectory="$WORK/locks"

run_tar() { (cd "$WORK" && tar -cf - set | cat >/dev/null); }
run_ese() {
  "$ESEBACKUP" backup "$SET" --kind copy --out - 2>"$WORK/ese.err" | cat >/dev/null
  [[ ${PIPESTATUS[0]} == 0 ]] || die "esebackup failed: $(cat "$WORK/ese.err")"
}

measure() { # measure TOOL RUN
  local t0 t1 secs
  cat "$SET"/* >/dev/null; warm_tools
  wait_quiet 20 "$WORK" || true
  t0=$(now)
  if [[ $1 == tar ]]; then run_tar; else run_ese; fi
  t1=$(now)
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')
  printf '%s\t%s\t%s\t%.3f\t%.1f\n' "$2" "$1" "$BYTES" "$secs" "$(awk -v b="$BYTES" -v s="$secs" 'BEGIN {print b / 1e6 / s}')" | tee -a "$RESULTS" >&2
}

# Warm-up (not recorded).
run_tar; run_ese
for run in $(seq 1 "$RUNS"); do
  if ((run % 2)); then order="tar esebackup"; else order="esebackup tar"; fi
  for tool in $order; do measure "$tool" "$run"; done
done

sel() { awk -F'\t' -v t="$1" 'NR > 1 && $2 == t {print $5}' "$RESULTS"; }
read -r tm tl th _ <<<"$(sel tar | stats)"
read -r em el eh _ <<<"$(sel esebackup | stats)"
read -r rm rl rh _ <<<"$(paste <(sel esebackup) <(sel tar) | awk '{print $1 / $2}' | stats)"
echo
echo "$(machine_summary "$WORK")"
echo "set: ${SIZE_MIB} MiB database + 16 x 1 MiB logs ($BYTES bytes), warm cache; $RUNS runs each, alternating; MB = 10^6 bytes"
printf '%-40s %s\n' "tar -cf - SET | cat > /dev/null" "$tm MB/s [$tl-$th]"
printf '%-40s %s\n' "esebackup backup SET --out - | cat" "$em MB/s [$el-$eh]"
printf '%-40s %s\n' "ratio esebackup/tar (per pair)" "$rm [$rl-$rh]"
echo "target (median ratio >= 0.95): $(awk -v r="$rm" 'BEGIN {print (r >= 0.95) ? "met" : "NOT met"}')"
[[ ${BUSY_RUNS:-0} == 0 ]] || echo "note: $BUSY_RUNS run(s) started while the machine was busy (other work on the machine)"
