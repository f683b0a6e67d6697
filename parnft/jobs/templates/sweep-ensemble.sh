{{header}}
# Ensemble sweep: ONE launch on all tasks runs every row of the table below
# (parnft sweep): groups of {{ranks_per_member}} rank(s) run the members side by side, each
# group its members one after another (member i on group i mod groups). Outputs:
# $OUT/NAME-sweep/member-NNNN.h5 (+ .conf) and $OUT/NAME-sweep/index.h5.
NTASKS=${SLURM_NTASKS:-{{ntasks}}}
BASE={{config}}
name=$(basename "$BASE" .conf)
table="$OUT/$name-params.tsv"
cat > "$table" <<'PARNFT_SWEEP_TABLE'
{{table}}PARNFT_SWEEP_TABLE
rc=0
launch "$NTASKS" "$PARNFT" sweep "$BASE" --table "$table" \
  --ranks-per-member {{ranks_per_member}} -o "$OUT/$name-sweep"{{sweep_options}} || rc=$?
# exit 0: every member succeeded; 3: some failed (their errors are in the index)
echo "done: $OUT/$name-sweep/index.h5 (exit $rc)"
exit "$rc"
