#!/bin/sh
# check_prefetch.sh OBJDUMP LIBRARY — the look-ahead of scv_engine_upsert_batch (src/batch.c)
# is made of prefetch instructions only, and gcc 12 once deleted most of them: it took the
# stage functions, which only prefetch, for pure functions whose calls could go (see
# SCV__PREFETCH in src/htab.h). Nothing else notices: results stay the same, only slower.
# So count the prefetch instructions in scv_engine_upsert_batch and its fetch_* stages (as
# separate functions when not inlined): the source has 12; fewer than 10 fails.
objdump=$1
lib=$2
n=$("$objdump" -d --no-show-raw-insn "$lib" | awk '
    /^[0-9a-f]+ <[^>]*>:$/ { keep = ($2 ~ /^<(scv_engine_upsert_batch|fetch_[a-z_]+)([.][a-z0-9.]+)?>:$/) }
    keep && /prefetch/ { n++ }
    END { print n + 0 }')
echo "prefetch instructions in the batch look-ahead: $n (at least 10 expected)"
[ "$n" -ge 10 ]
