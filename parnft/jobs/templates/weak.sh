{{header}}
# Weak scaling: {{nodes_per_rank}} nodes (NXxNY) on every rank; one CSV row per run in $CSV.
# Each point: ranks, global grid NXxNY, process grid PXxPY (tiles of exactly that size).
POINTS=(
{{points}}
)
CONFIGS=(
{{configs}}
)
for conf in "${CONFIGS[@]}"; do
  for point in "${POINTS[@]}"; do
    read -r r grid procs <<<"$point"
    launch "$r" "$PARNFT" bench "$conf" --series weak --grid "$grid" --procs "$procs" \
      --csv "$CSV"{{bench_options}} \
      --label {{label}}" job=${SLURM_JOB_ID:-none}"
  done
done
echo "done: $CSV"
