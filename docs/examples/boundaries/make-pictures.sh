#!/bin/sh
# Remake docs/img/boundaries/*.png with parnft's own commands (about a minute).
# Run from the repository root: sh docs/examples/boundaries/make-pictures.sh
set -e
out=${TMPDIR:-/tmp}/parnft-boundaries
mkdir -p "$out" docs/img/boundaries
for kind in periodic absorbing neumann dirichlet; do
    python -m parnft run -q "docs/examples/boundaries/pulse-$kind.conf" -o "$out/$kind.h5"
    python -m parnft snapshot "$out/$kind.h5" --times 0.015,0.03,0.045,0.06 --cols 4 \
        --out "docs/img/boundaries/pulse-$kind.png"
done
