{{header}}
# Each config once on all tasks: one CSV row per run in $CSV, the output in $OUT/NAME.h5.
NTASKS=${SLURM_NTASKS:-{{ntasks}}}
CONFIGS=(
{{configs}}
)
for conf in "${CONFIGS[@]}"; do
  name=$(basename "$conf" .conf)
  launch "$NTASKS" "$PARNFT" bench "$conf" --csv "$CSV" \
    -o "$OUT/$name.h5"{{bench_options}} \
    --label {{label}}" job=${SLURM_JOB_ID:-none}"
done
echo "done: $CSV"
