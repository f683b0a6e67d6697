{{header}}
# One long run on all tasks, in pieces across allocations (docs/checkpoint.md):
# SLURM signals this script {{lead}} before the time limit (#SBATCH --signal=B:...),
# the script passes the signal on to the launcher (srun and mpirun hand it to every
# rank), parnft writes a checkpoint and exits 75, this script requeues the job, and
# the next allocation resumes from the checkpoint. The output is $OUT/NAME.h5,
# bitwise that of an uninterrupted run.
NTASKS=${SLURM_NTASKS:-{{ntasks}}}
conf={{config}}
name=$(basename "$conf" .conf)
out="$OUT/$name.h5"
resume=()
if [ -d "$out.ckpt" ] && [ -f "$out.partial" ]; then
  resume=(--resume)   # a requeued (or resubmitted) job continues
fi
echo "attempt ${SLURM_RESTART_COUNT:-0} of job ${SLURM_JOB_ID:-?}: ${resume[*]:-fresh start}"
STOP_SIGNAL={{stop_signal}}
pid=""
stopped=0
on_stop() {  # the warning signal: pass it on to the launcher (once it runs)
  stopped=$((stopped + 1))
  echo "$(date -u +%H:%M:%S) SIG$STOP_SIGNAL: asking parnft to checkpoint and stop" >&2
  if [ -n "$pid" ]; then kill -s "$STOP_SIGNAL" "$pid" 2>/dev/null || true; fi
}
trap on_stop "$STOP_SIGNAL"
requeue() {
  echo "$1: requeueing job ${SLURM_JOB_ID:-?}"
  scontrol requeue "${SLURM_JOB_ID}"
  exit 0
}
if [ "$stopped" -gt 0 ]; then
  requeue "signalled before the run started"
fi
cmd=("$PARNFT" run "$conf" -o "$out" --checkpoint-every {{checkpoint_every}}{{run_options}}
     "${resume[@]}")
echo "+ $(date -u +%H:%M:%S) {{launcher}} -n $NTASKS ${cmd[*]}" >&2
set +e
{{launcher}} -n "$NTASKS" {{launcher_args}}"${cmd[@]}" &  # in the background: the trap runs at once
pid=$!
if [ "$stopped" -gt 0 ]; then kill -s "$STOP_SIGNAL" "$pid" 2>/dev/null; fi
while :; do  # a trapped signal ends `wait` early (status > 128): wait again
  seen=$stopped
  wait "$pid"
  rc=$?
  if [ "$rc" -le 128 ] || [ "$stopped" -eq "$seen" ]; then break; fi
done
set -e
if [ "$rc" -eq 75 ]; then
  requeue "checkpointed and stopped (exit 75)"
fi
if [ "$stopped" -gt 0 ] && [ "$rc" -gt 128 ]; then
  # the signal came while parnft was starting, before it catches it: nothing was
  # written since the last checkpoint, so the next allocation resumes from there
  requeue "stopped by SIG$STOP_SIGNAL before parnft could checkpoint (exit $rc)"
fi
echo "parnft run ended with exit code $rc: $out"
exit "$rc"
