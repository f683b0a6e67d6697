{{header}}
# Parameter sweep: array task I runs row I of the table below on the base config;
# its CSV row goes to $CSV (one file per task), its output to $OUT/NAME-taskI.h5.
TASK=${SLURM_ARRAY_TASK_ID:?this is an array job: submit it with sbatch}
NTASKS=${SLURM_NTASKS:-{{ntasks}}}
BASE={{config}}
name=$(basename "$BASE" .conf)
conf="$OUT/$name-task$TASK.conf"
# writes the task's config and prints its settings (KEY=VALUE ...)
settings=$("$PARNFT" jobs config "$BASE" --task "$TASK" --params - -o "$conf" <<'PARNFT_SWEEP_TABLE'
{{table}}PARNFT_SWEEP_TABLE
)
echo "task $TASK: $settings"
launch "$NTASKS" "$PARNFT" bench "$conf" --csv "$CSV" \
  -o "$OUT/$name-task$TASK.h5"{{bench_options}} \
  --label {{label}}" job=${SLURM_ARRAY_JOB_ID:-none} task=$TASK $settings"
echo "done: $CSV"
