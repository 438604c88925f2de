/*
 * cli/cmd_merge.h -- `balloonsim merge` (cli/cmd_merge.c), and merge_one, with which a
 * sweep worker copies its run from a scratch database into the sweep's.
 */
#ifndef CLI_CMD_MERGE_H
#define CLI_CMD_MERGE_H

#include <stddef.h>
#include "sim/db.h"

typedef struct merge_count {
    size_t copied, present, replaced, incomplete, differ;
} merge_count_t;

/* argv[0] == "merge".  Returns the process exit status. */
int cli_cmd_merge(int argc, char **argv);
/* Copy the runs of the database at path into db (replace: every run whatever its status,
 * replacing what db holds for the same (study_key, run_index) -- a sweep worker's copy;
 * otherwise the merge rules).  Counts into *mc.  0 or SIM_* with a message. */
int merge_one(db_t *db, const char *path, int replace, merge_count_t *mc, char *err, size_t errlen);

#endif
