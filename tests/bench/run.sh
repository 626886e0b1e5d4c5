#!/usr/bin/env bash
# Run the benchmarks and print their figures. Called by the `bench` CMake target with the
# paths of the built programs in the environment; SIZES overrides the record counts.
set -euo pipefail
mkdir -p "$WORK"
sizes=${SIZES:-"100000 1000000"}

echo "== machine"
echo "$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"

echo
echo "== library micro-benchmarks (bench_engine, records in memory)"
"$ENGINE" --records "${ENGINE_RECORDS:-1000000}"

echo
echo "== scv resolve end to end (median of 3), rules at their defaults"
printf '%-10s %10s %12s %10s %12s\n' records seconds records/s "peak MiB" profiles
declare -A scv_secs
for n in $sizes; do
  data="$WORK/records-$n.csv"
  [ -s "$data" ] || "$GEN_RECORDS" --records "$n" --out "$data"
  times=()
  for _ in 1 2 3; do
    /usr/bin/time -f "%e %M" -o "$WORK/time" "$SCV" resolve --region DE "$data" \
      > "$WORK/out.csv" 2> "$WORK/err"
    times+=("$(cat "$WORK/time")")
  done
  median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 2p)
  secs=${median% *}; kib=${median#* }
  profiles=$(grep -o '[0-9]* profiles' "$WORK/err" | cut -d' ' -f1)
  scv_secs[$n]=$secs
  awk -v n="$n" -v s="$secs" -v k="$kib" -v p="$profiles" \
    'BEGIN { printf "%-10s %10s %12.0f %10.0f %12s\n", n, s, n / s, k / 1024, p }'
done

# The floor (floor.c) is built next to gen_records; the bench target depends on it.
floor=${FLOOR:-$(dirname "$GEN_RECORDS")/floor}
if [ -x "$floor" ]; then
  echo
  echo "== floor: bare parse + normalize + hash + union-find on the same files (median of 3)"
  printf '%-10s %10s %12s %10s %12s %10s\n' records seconds records/s "peak MiB" clusters scv/floor
  for n in $sizes; do
    data="$WORK/records-$n.csv"
    times=()
    for _ in 1 2 3; do
      /usr/bin/time -f "%e %M" -o "$WORK/time" "$floor" --region DE "$data" "$WORK/floor.csv" \
        2> "$WORK/err"
      times+=("$(cat "$WORK/time")")
    done
    median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 2p)
    secs=${median% *}; kib=${median#* }
    clusters=$(grep -o '[0-9]* clusters' "$WORK/err" | cut -d' ' -f1)
    awk -v n="$n" -v s="$secs" -v k="$kib" -v c="$clusters" -v r="${scv_secs[$n]}" \
      'BEGIN { printf "%-10s %10s %12.0f %10.0f %12s %10s\n", n, s, (s > 0 ? n / s : 0), k / 1024, c,
               (s > 0 ? sprintf("%.2f", r / s) : "-") }'
  done
fi

echo
echo "== accuracy on examples/data (546 records, hand-made traps)"
"$ACCURACY" --region DE "$DATA_DIR"/crm.csv "$DATA_DIR"/web.csv "$DATA_DIR"/email.csv \
  "$DATA_DIR"/pos.csv --truth "$DATA_DIR"/truth/truth.csv

if [ -n "${GEN_TRUTH:-}" ]; then
  echo
  echo "== accuracy on generated multi-source data with ground truth (gen_truth --people 100000)"
  [ -s "$WORK/truth-data.csv" ] || "$GEN_TRUTH" --people 100000 --out "$WORK/truth-data.csv" \
    --truth "$WORK/truth-truth.csv"
  "$ACCURACY" --region DE "$WORK/truth-data.csv" --truth "$WORK/truth-truth.csv"
fi
