#!/bin/bash
# parnft {{kind}} job: {{summary}}
# rendered by: {{command}}
# (parnft {{version}}; render again rather than editing by hand; docs/jobs.md)
# Submit from the folder the relative paths below start at: sbatch THIS_FILE
#SBATCH --job-name={{job_name}}
#SBATCH --nodes={{nodes}}
#SBATCH --ntasks-per-node={{tasks_per_node}}
#SBATCH --cpus-per-task=1
#SBATCH --time={{time_limit}}
#SBATCH --output={{log}}
{{sbatch_lines}}
set -euo pipefail

# --- environment (--module-line) ---
{{module_lines}}
# ---
export NUMBA_NUM_THREADS=1        # one thread per MPI rank
PARNFT={{parnft}}
OUT={{outdir}}
CSV={{csv}}
mkdir -p "$OUT" "$(dirname "$CSV")"

# launch NRANKS CMD...: CMD on NRANKS MPI ranks of this allocation
launch() {
  local n=$1; shift
  echo "+ $(date -u +%H:%M:%S) {{launcher_echo}} -n $n $*" >&2
  {{launcher}} -n "$n" {{launcher_args}}"$@"
}
echo "parnft {{kind}} job ${SLURM_JOB_ID:-?} on ${SLURM_JOB_NUM_NODES:-?} node(s), ${SLURM_NTASKS:-?} task(s), $(date -u)"
