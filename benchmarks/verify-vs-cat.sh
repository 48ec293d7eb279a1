#!/usr/bin/env bash
# `esebackup verify FILE` against `cat FILE > /dev/null` on the same multi-GB database, in one run.
#
# Generates one database (default 4 GiB, 8 KiB XE pages), then alternates the two commands, each after dropping
# the page cache (cold: bound by the disk; needs root) and each with the file already cached (warm: bound by the
# CPU and memory, i.e. the file-level verifier's own throughput). Reports MB/s (10^6 bytes/s), the ratio and
# peak RSS.
#
# Usage: benchmarks/verify-vs-cat.sh [--dir DIR] [--size GIB] [--runs N] [--keep] [--no-build]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bench-common.sh"

DIR="" SIZE=4 RUNS=5 KEEP=0 BUILD=1
while (($#)); do
  case $1 in
    --dir) DIR=$2; shift 2 ;;
    --size) SIZE=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --no-build) BUILD=0; shift ;;
    -h | --help) sed -n '2,10p' "$0"; exit 0 ;;
    *) die "unknown argument $1" ;;
  esac
done

require_tools
MODES=warm
if can_drop_caches; then MODES="cold warm"; else note "cannot drop the page cache: warm-cache runs only"; fi
WORK=$(make_work_dir "$DIR" $((SIZE + 1)))
cleanup() { if ((KEEP)); then note "kept $WORK"; else rm -rf "$WORK"; fi; }
trap cleanup EXIT
((BUILD)) && build_release
RESULTS="$WORK/verify.tsv"
printf 'cache\trun\ttool\tbytes\tseconds\tmb_per_s\tpeak_rss_kib\n' >"$RESULTS"
note "$(machine_summary "$WORK")"
"$GENERATOR" generate "$WORK/set" --database-mib $((SIZE * 1024)) --logs 1 >&2
FILE="$WORK/set/database1.edb"
BYTES=$(stat -c %s "$FILE")
sync

measure() { # measure MODE RUN TOOL
  wait_quiet 180 "$WORK" || true
  if [[ $1 == cold ]]; then cold_cache; else cat "$FILE" >/dev/null; warm_tools; fi
  local t0 t1
  t0=$(now)
  if [[ $3 == cat ]]; then
    /usr/bin/time -v -o "$WORK/time.txt" sh -c 'cat "$1" > /dev/null' sh "$FILE"
  else
    /usr/bin/time -v -o "$WORK/time.txt" "$ESEBACKUP" verify "$FILE" --json >"$WORK/verify.json" || die "verify failed: $(head -c 2000 "$WORK/verify.json")"
  fi
  t1=$(now)
  local secs
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')
  printf '%s\t%s\t%s\t%s\t%.3f\t%.1f\t%s\n' "$1" "$2" "$3" "$BYTES" "$secs" "$(awk -v b="$BYTES" -v s="$secs" 'BEGIN {print b / 1e6 / s}')" \
    "$(time_v_field "$WORK/time.txt" "Maximum resident set size")" | tee -a "$RESULTS" >&2
}

measure warm 0 cat >/dev/null 2>&1; measure warm 0 esebackup >/dev/null 2>&1 # warm-up
sed -i '2,$d' "$RESULTS"
for mode in $MODES; do
  for run in $(seq 1 "$RUNS"); do
    if ((run % 2)); then order="cat esebackup"; else order="esebackup cat"; fi
    for tool in $order; do measure "$mode" "$run" "$tool"; done
  done
done
grep -q '"unitsChecked"' "$WORK/verify.json" || note "warning: unexpected verify output"

echo
echo "$(machine_summary "$WORK")"
echo "file: one $(awk -v b="$BYTES" 'BEGIN {printf "%.2f GiB", b / 1073741824}') database, 8 KiB XE pages; MB = 10^6 bytes"
printf '%-6s %-26s %-26s %-22s %-14s\n' "cache" "cat MB/s" "esebackup verify MB/s" "ratio verify/cat" "verify RSS"
for mode in $MODES; do
  sel() { awk -F'\t' -v c="$mode" -v t="$1" -v k="$2" 'NR > 1 && $1 == c && $3 == t {print $k}' "$RESULTS"; }
  read -r cm cl ch _ <<<"$(sel cat 6 | stats)"
  read -r vm vl vh _ <<<"$(sel esebackup 6 | stats)"
  read -r rm_ rl rh _ <<<"$(paste <(sel esebackup 6) <(sel cat 6) | awk '{print $1 / $2}' | stats)"
  read -r _ _ ph _ <<<"$(sel esebackup 7 | stats)"
  printf '%-6s %-26s %-26s %-22s %-14s\n' "$mode" "$cm [$cl-$ch]" "$vm [$vl-$vh]" "$rm_ [$rl-$rh]" "$(awk -v k="$ph" 'BEGIN {printf "%.0f MiB max", k / 1024}')"
done
echo "raw results: $RESULTS$([[ $KEEP == 1 ]] || echo ' (deleted with the scratch directory; use --keep)')"
