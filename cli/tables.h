/*
 * cli/tables.h -- results as tables (issue 21): every sweep axis as a typed column in
 * canonical units, and the wide views that R, pandas and gnuplot read without SQL.
 * Definitions, units and rules: docs/database.md ("Results as tables"); code: cli/tables.c.
 *
 *   run_axes(run_id, axis, text, value, unit)   one row per run and axis; value is the
 *       axis in canonical units (bytes, ns, bytes/s, a fraction, a plain number), NULL
 *       for a text axis; unit names it ("bytes", "ns", "bytes/s", "fraction", "number")
 *   v_run_axes   one row per run: run_id, every axis as a column, overcommit
 *   v_runs       one row per run: study, run, point, repetition, seed, policy, status,
 *                every axis, overcommit, every run_summary metric, run_id
 *   v_points     one row per sweep point and metric: point_summary with typed axes
 *   v_vms        one row per run and VM: the run's columns, the VM, every vm_summary metric
 *   v_samples    one row per VM sample: run, axes, VM, time, every vm_samples column
 *
 * The views' columns depend on the axes and metrics the database holds, so they are
 * rebuilt (with run_axes) after every run, sweep and merge; `export` builds its own
 * TEMP copies on a read-only connection, so it works on any database.
 */
#ifndef CLI_TABLES_H
#define CLI_TABLES_H

#include <stddef.h>
#include "sim/db.h"

/* Rebuild run_axes and the views.  temp != 0: as TEMP objects (a read-only connection
 * may create them; they shadow the stored ones).  Returns 0, SIM_EINPUT when the database
 * holds no run tables, or SIM_EIO/SIM_ENOMEM with a message. */
int tables_build(db_t *db, int temp, char *err, size_t errlen);

/* Everything a finished run, sweep or merge leaves: point_summary (cli/stats.h), then
 * run_axes and the views. */
int tables_rebuild_all(db_t *db, char *err, size_t errlen);

#endif
