{{header}}
# Strong scaling: the same grid on each rank count; one CSV row per run in $CSV.
RANKS=({{ranks}})
CONFIGS=(
{{configs}}
)
for conf in "${CONFIGS[@]}"; do
  for r in "${RANKS[@]}"; do
    launch "$r" "$PARNFT" bench "$conf" --series strong --csv "$CSV"{{bench_options}} \
      --label {{label}}" job=${SLURM_JOB_ID:-none}"
  done
done
echo "done: $CSV"
