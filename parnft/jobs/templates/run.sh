{{header}}
# One long run on all tasks, in pieces across allocations (docs/checkpoint.md):
# SLURM signals the ranks before the time limit (#SBATCH --signal), parnft writes
# a checkpoint and exits 75, this script requeues the job, and the next
# allocation resumes from the checkpoint. The output is $OUT/NAME.h5, bitwise
# that of an uninterrupted run.
NTASKS=${SLURM_NTASKS:-{{ntasks}}}
conf={{config}}
name=$(basename "$conf" .conf)
out="$OUT/$name.h5"
resume=()
if [ -d "$out.ckpt" ] && [ -f "$out.partial" ]; then
  resume=(--resume)   # a requeued (or resubmitted) job continues
fi
echo "attempt ${SLURM_RESTART_COUNT:-0} of job ${SLURM_JOB_ID:-?}: ${resume[*]:-fresh start}"
set +e
launch "$NTASKS" "$PARNFT" run "$conf" -o "$out" --checkpoint-every {{checkpoint_every}} \
  {{run_options}} "${resume[@]}"
rc=$?
set -e
if [ "$rc" -eq 75 ]; then
  echo "checkpointed and stopped (exit 75): requeueing job ${SLURM_JOB_ID:-?}"
  scontrol requeue "${SLURM_JOB_ID}"
  exit 0
fi
echo "parnft run ended with exit code $rc: $out"
exit "$rc"
