#!/usr/bin/env bash
# End-to-end throughput of a full backup against cp and against dd oflag=direct, the multi-database case, the fixed
# cost per backup and peak memory: everything issue 15 asks for, in one run.
#
# In one run: builds Release, generates synthetic ESE file sets (real formats and checksums, 8 KiB XE pages, 16 x 1 MiB
# logs): one database of each --sizes, and each --multi layout (N databases of M GiB), then for each set and cache mode
# alternates
#   cp -r SET DEST && sync DEST/* DEST             (fsync of every copied file and the directory: the backup's
#                                                   copy is durable, a bare cp's is not; the backup fsyncs the same)
#   dd bs=4M oflag=direct conv=fsync, per file      (the device's own write speed, around the page cache: a baseline
#                                                   that does not move with the VM's dirty-page writeback, as cp's does)
#   esebackup backup SET --repository REPO --json  (verify every page + SHA-256 + atomic staging + store + catalog)
# and reports MB/s of each (10^6 bytes/s, bytes = what each tool copied), both ratios, and peak RSS (/usr/bin/time -v).
# Then the fixed cost on a 64 MiB set (the demo's size), warm: the backup's wall time minus the runtime's own start
# ('esebackup --version') minus dd's time for the same bytes, and the plugin's own phase timings of one backup.
#
# Usage: benchmarks/backup-vs-cp.sh [--dir DIR] [--sizes "2 8"] [--multi "4x1"] [--runs N] [--cache cold|warm|both]
#                                   [--fixed-runs N] [--keep] [--no-build]
#   --dir         scratch directory (default: mktemp -d under $TMPDIR or /tmp); needs about 3 x the largest set free
#   --sizes       single-database sets, database size in GiB (default "2 8"; "" for none)
#   --multi       multi-database sets as COUNTxGIB (default "4x1": four 1 GiB databases; "" for none)
#   --runs        measured runs of each tool per set and cache mode (default 5), after one warm-up of each
#   --cache       cold: drop the page cache before every run (needs root; the tools' own files are read back in first)
#                 warm: read the set once before every run instead; both (default when permitted): each in turn
#   --fixed-runs  runs of the fixed-cost measurement (default 10; 0 skips it)
# Targets (issue 15): esebackup/cp and esebackup/dd >= 0.95 for every single-database set and cache mode; esebackup/cp
# >= 0.9 for every multi-database set; peak RSS <= 128 MiB everywhere; fixed cost < 150 ms.
# Generated data lives only in the scratch directory and is deleted at the end unless --keep.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bench-common.sh"

DIR="" SIZES="2 8" MULTI="4x1" RUNS=5 CACHE="" KEEP=0 BUILD=1 FIXED_RUNS=10
while (($#)); do
  case $1 in
    --dir) DIR=$2; shift 2 ;;
    --sizes) SIZES=$2; shift 2 ;;
    --multi) MULTI=$2; shift 2 ;;
    --fixed-runs) FIXED_RUNS=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --cache) CACHE=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --no-build) BUILD=0; shift ;;
    -h | --help) sed -n '2,30p' "$0"; exit 0 ;;
    *) die "unknown argument $1" ;;
  esac
done

require_tools
if [[ -z $CACHE ]]; then
  if can_drop_caches; then CACHE=both; else CACHE=warm; note "cannot drop the page cache here: warm-cache runs only"; fi
fi
[[ $CACHE == warm ]] || can_drop_caches || die "--cache $CACHE needs permission to write /proc/sys/vm/drop_caches"
case $CACHE in both) MODES="cold warm" ;; cold | warm) MODES=$CACHE ;; *) die "--cache cold|warm|both" ;; esac

# Each set as NAME:DATABASES:GIB_EACH; the largest decides the scratch space needed.
SETS=()
for size in $SIZES; do SETS+=("${size}g:1:$size"); done
for m in $MULTI; do
  [[ $m =~ ^([0-9]+)x([0-9]+)$ ]] || die "--multi takes COUNTxGIB, e.g. 4x1 (got $m)"
  SETS+=("${m}g:${BASH_REMATCH[1]}:${BASH_REMATCH[2]}")
done
largest=1
for s in "${SETS[@]}"; do IFS=: read -r _ n g <<<"$s"; ((n * g > largest)) && largest=$((n * g)); done
WORK=$(make_work_dir "$DIR" $((3 * largest + 2)))
cleanup() { if ((KEEP)); then note "kept $WORK"; else rm -rf "$WORK"; fi; }
trap cleanup EXIT
((BUILD)) && build_release
RESULTS="$WORK/results.tsv"
printf 'set\tcache\trun\ttool\tbytes\tseconds\tmb_per_s\tpeak_rss_kib\tseconds_before_fsync\n' >"$RESULTS"
STARTED="$(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg) at the start"
note "$(machine_summary "$WORK")"
note "scratch: $WORK; sets: ${SETS[*]} (name:databases:GiB each); $RUNS runs per set and cache mode ($MODES)"

prepare() { # prepare MODE SET
  rm -rf "$WORK/cp-dest" "$WORK/dd-dest" "$WORK/repo"
  sync
  wait_quiet "${QUIET_WAIT:-180}" "$WORK" || true
  if [[ $1 == cold ]]; then cold_cache; else cat "$2"/* >/dev/null; warm_tools; fi
}

run_cp() { # run_cp SET -> "bytes seconds rss seconds-before-fsync"
  local t0 tm t1
  t0=$(now)
  /usr/bin/time -v -o "$WORK/time-cp.txt" cp -r "$1" "$WORK/cp-dest"
  tm=$(now)
  find "$WORK/cp-dest" -print0 | xargs -0 sync --
  t1=$(now)
  echo "$(tree_bytes "$1") $(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}') $(time_v_field "$WORK/time-cp.txt" "Maximum resident set size") $(awk -v a="$t0" -v b="$tm" 'BEGIN {print b - a}')"
}

run_dd() { # run_dd SET -> "bytes seconds rss"
  local t0 t1 f
  t0=$(now)
  mkdir -p "$WORK/dd-dest"
  for f in "$1"/*; do
    /usr/bin/time -v -a -o "$WORK/time-dd.txt" dd if="$f" of="$WORK/dd-dest/${f##*/}" bs=4M oflag=direct conv=fsync status=none
  done
  sync "$WORK/dd-dest"
  t1=$(now)
  echo "$(tree_bytes "$1") $(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}') $(time_v_field "$WORK/time-dd.txt" "Maximum resident set size")"
  rm -f "$WORK/time-dd.txt"
}

run_esebackup() { # run_esebackup SET -> "bytes seconds rss"
  local t0 t1 bytes
  t0=$(now)
  /usr/bin/time -v -o "$WORK/time-ese.txt" "$ESEBACKUP" backup "$1" --repository "$WORK/repo" --json >"$WORK/backup.json" ||
    die "esebackup backup failed: $(head -c 2000 "$WORK/backup.json")"
  t1=$(now)
  grep -q '"state": "completed"' "$WORK/backup.json" || die "the backup did not complete: $(head -c 2000 "$WORK/backup.json")"
  # Bytes the backup copied: the manifest's file sizes (the full backup takes the logs it needs, not all 16).
  bytes=$(tree_bytes "$WORK/repo/sets")
  bytes=$((bytes - $(find "$WORK/repo/sets" -name manifest.json -printf '%s')))
  echo "$bytes $(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}') $(time_v_field "$WORK/time-ese.txt" "Maximum resident set size")"
}

record() { # record SIZE MODE RUN TOOL "bytes seconds rss [seconds-before-fsync]"
  local bytes secs rss before
  read -r bytes secs rss before <<<"$5"
  printf '%s\t%s\t%s\t%s\t%s\t%.3f\t%.1f\t%s\t%s\n' "$1" "$2" "$3" "$4" "$bytes" "$secs" "$(awk -v b="$bytes" -v s="$secs" 'BEGIN {print b / 1e6 / s}')" "$rss" "${before:-}" | tee -a "$RESULTS" >&2
}

for spec in "${SETS[@]}"; do
  IFS=: read -r name count each <<<"$spec"
  SET="$WORK/set-$name"
  note "generating set $name: $count database(s) of $each GiB in $SET"
  generate_set "$SET" $((each * 1024)) "$count"
  sync
  # Warm-up (not recorded): first-run effects of both tools and of the file system.
  prepare warm "$SET"; run_cp "$SET" >/dev/null
  prepare warm "$SET"; run_dd "$SET" >/dev/null
  prepare warm "$SET"; run_esebackup "$SET" >/dev/null
  for mode in $MODES; do
    for run in $(seq 1 "$RUNS"); do
      # Rotate which tool goes first, so that drift in the machine's state hits all three alike.
      case $((run % 3)) in 1) order="cp dd esebackup" ;; 2) order="esebackup cp dd" ;; *) order="dd esebackup cp" ;; esac
      for tool in $order; do
        prepare "$mode" "$SET"
        record "$name" "$mode" "$run" "$tool" "$(run_"$tool" "$SET")"
      done
    done
  done
  rm -rf "$SET" "$WORK/cp-dest" "$WORK/dd-dest" "$WORK/repo"
done

# Fixed cost: what a backup costs beyond the runtime's own start and beyond moving its bytes, on the demo's 64 MiB.
FIXED=""
if ((FIXED_RUNS > 0)); then
  SET="$WORK/set-64m"
  generate_set "$SET" 64
  version_s() { local t0 t1; t0=$(now); "$ESEBACKUP" --version >/dev/null; t1=$(now); awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}'; }
  for run in $(seq 0 "$FIXED_RUNS"); do
    for tool in version dd esebackup; do
      prepare warm "$SET"
      case $tool in
        version) line="$(tree_bytes "$SET") $(version_s) 0" ;;
        *) line=$(run_"$tool" "$SET") ;;
      esac
      ((run == 0)) || record 64m warm "$run" "$tool" "$line"
    done
  done
  # One more backup, verbose: the plugin logs how long each of its phases took.
  prepare warm "$SET"
  "$ESEBACKUP" backup "$SET" --repository "$WORK/repo" --json -v 2>"$WORK/phases.txt" >/dev/null || true
  PHASES=$(grep -o 'phases (ms): .*' "$WORK/phases.txt" | head -1 || true)
  fixed_sel() { awk -F'\t' -v t="$1" 'NR > 1 && $1 == "64m" && $4 == t {print $6}' "$RESULTS" | stats | cut -d' ' -f1; }
  FIXED="$(fixed_sel esebackup) $(fixed_sel version) $(fixed_sel dd)"
  rm -rf "$SET" "$WORK/dd-dest" "$WORK/repo"
fi

# Summary: medians over runs (min-max in brackets); each ratio is taken per run (the tools ran side by side), then its median.
echo
echo "$(machine_summary "$WORK")"
echo "run: $STARTED, $(cut -d' ' -f1-3 /proc/loadavg) at the end; ${BUSY_RUNS:-0} run(s) started while the machine was busy"
echo "cp = 'cp -r SET DEST' + fsync of its files; dd = 'dd bs=4M oflag=direct conv=fsync' per file; esebackup = 'esebackup backup SET --json' (verify + SHA-256 + durable staging); MB = 10^6 bytes"
printf '%-8s %-6s %-24s %-24s %-24s %-22s %-22s %-24s %-14s\n' "set" "cache" "cp+fsync MB/s" "dd direct MB/s" "esebackup MB/s" "ratio esebackup/cp" "ratio esebackup/dd" "(cp before fsync MB/s)" "esebackup RSS"
verdict=0
for spec in "${SETS[@]}"; do
  IFS=: read -r name count _ <<<"$spec"
  for mode in $MODES; do
    sel() { awk -F'\t' -v s="$name" -v c="$mode" -v t="$1" -v k="$2" 'NR > 1 && $1 == s && $2 == c && $4 == t {print $k}' "$RESULTS"; }
    read -r cpm cpl cph _ <<<"$(sel cp 7 | stats)"
    read -r ddm ddl ddh _ <<<"$(sel dd 7 | stats)"
    read -r esm esl esh _ <<<"$(sel esebackup 7 | stats)"
    read -r ratm ratl rath _ <<<"$(paste <(sel esebackup 7) <(sel cp 7) | awk '{print $1 / $2}' | stats)"
    read -r rdm rdl rdh _ <<<"$(paste <(sel esebackup 7) <(sel dd 7) | awk '{print $1 / $2}' | stats)"
    read -r rssm _ rssh _ <<<"$(sel esebackup 8 | stats)"
    read -r cnm cnl cnh _ <<<"$(awk -F'\t' -v s="$name" -v c="$mode" 'NR > 1 && $1 == s && $2 == c && $4 == "cp" {print $5 / 1e6 / $9}' "$RESULTS" | stats)"
    printf '%-8s %-6s %-24s %-24s %-24s %-22s %-22s %-24s %-14s\n' "$name" "$mode" "$cpm [$cpl-$cph]" "$ddm [$ddl-$ddh]" "$esm [$esl-$esh]" \
      "$ratm [$ratl-$rath]" "$rdm [$rdl-$rdh]" "$cnm [$cnl-$cnh]" \
      "$(awk -v k="$rssh" 'BEGIN {printf "%.0f MiB max", k / 1024}')"
    if ((count == 1)); then
      awk -v r="$ratm" -v d="$rdm" 'BEGIN {exit !(r >= 0.95 && d >= 0.95)}' || verdict=1
    else
      awk -v r="$ratm" 'BEGIN {exit !(r >= 0.9)}' || verdict=1
    fi
    awk -v k="$rssh" 'BEGIN {exit !(k <= 128 * 1024)}' || verdict=1
  done
done
if [[ -n $FIXED ]]; then
  read -r fb fv fd <<<"$FIXED"
  fixed_ms=$(awk -v b="$fb" -v v="$fv" -v d="$fd" 'BEGIN {printf "%.0f", (b - v - d) * 1000}')
  echo "fixed cost, 64 MiB set, warm, $FIXED_RUNS runs (medians): backup $fb s - runtime start ('esebackup --version') $fv s - dd of the same bytes $fd s = ${fixed_ms} ms"
  echo "plugin $PHASES"
  ((fixed_ms < 150)) || verdict=1
fi
echo "targets (single database: esebackup/cp and esebackup/dd >= 0.95; several databases: esebackup/cp >= 0.9; peak RSS <= 128 MiB; fixed cost < 150 ms): $([[ $verdict == 0 ]] && echo met || echo NOT met)"
echo "raw results: $RESULTS$([[ $KEEP == 1 ]] || echo ' (deleted with the scratch directory; use --keep)')"
