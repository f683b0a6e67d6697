#!/bin/bash
# The measurements behind docs/performance.md, in one go (about 10 min on 2 cores).
#
#   bash benchmarks/run_all.sh [OUT_DIR]     (default benchmarks/results)
#
# Every step appends rows with provenance to $OUT/bench.csv (git SHA, versions, host,
# CPU, ranks, process grid, times split into compute/halo/output, RSS, STREAM triad,
# bytes per node-step); the scaling series also leave bench.pingpong.json and the
# projection bench.model.{csv,json}; the PNGs go to $OUT/plots. Run it on a quiet
# machine: other work on the cores changes every number.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-benchmarks/results}
CSV=$OUT/bench.csv
PARNFT=${PARNFT:-.venv/bin/parnft}
SHARED=${PARNFT_SHARED:-../shared}
export NUMBA_NUM_THREADS=1 OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1
mkdir -p "$OUT"

# 1. NFTsim's benchmark configs on one rank, as shipped (STUDY.md section 6 anchors)
$PARNFT bench "$SHARED"/nftsim-ref/benchmarks/{eirs-default,ei-default,eirs-nodes-1024,ei-nodes-4096}.conf \
  --repeat 3 --csv "$CSV" --label nftsim-benchmarks

# 2. parnft's large grids on one rank: memory traffic against STREAM triad
# (EIRS keeps 426 steps of history for two populations: 1.8 GB at 512x512)
for g in 256x256 512x512; do
  $PARNFT bench configs/bench/eirs-256.conf --grid $g --time 0.05 --repeat 2 --csv "$CSV" \
    --label large-grid
done
for g in 256x256 512x512 1024x1024; do
  $PARNFT bench configs/bench/ei-256.conf --grid $g --time 0.05 --repeat 2 --csv "$CSV" \
    --label large-grid
done

# 3. scaling series (ranks beyond the cores are run too; their rows say oversubscribed)
$PARNFT bench --strong --ranks 1,2,4 configs/bench/eirs-256.conf --grid 512x512 --time 0.05 \
  --repeat 3 --csv "$CSV" --label strong
$PARNFT bench --weak --ranks 1,2,4 --nodes-per-rank 512x512 configs/bench/ei-256.conf \
  --time 0.05 --repeat 5 --csv "$CSV" --label weak
# the same at 2 ranks with the blocking halo mode (the default is overlap)
$PARNFT bench --weak --ranks 1,2 --nodes-per-rank 512x512 configs/bench/ei-256.conf \
  --time 0.05 --repeat 5 --csv "$CSV" --label weak-blocking --halo blocking

# 4. figures (speed-up, efficiency, roofline) with the model's projection
$PARNFT bench plot "$CSV" --out "$OUT/plots"
