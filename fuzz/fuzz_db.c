/*
 * fuzz/fuzz_db.c -- libFuzzer harness: opening a results database that may not be ours
 * (sim/db.c), then the first steps of a run (models/record.c schema, run lookup, begin,
 * parameter, finish).
 *
 * Input: the bytes of a file given as `-o DB`.  It is written to a private file under
 * /dev/shm (SQLite needs a real file for its -wal and -shm companions) and opened with
 * db_open.  Any outcome but a crash is fine: SIM_EINPUT for a file that is not ours or
 * from a newer schema, SIM_EIO for a corrupt one; on success the writes must not crash
 * whatever the tables hold (a table named `runs` with other columns, NULL statuses...).
 * Seeds: fuzz/corpus/db/ (a database of ours, one from a newer schema, one of someone
 * else, an empty file).
 */
#include <stdint.h>
#include "fuzz/fuzz_common.h"
#include "sim/db.h"
#include "models/record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[96], err[SIM_ERR_MAX];
    snprintf(path, sizeof path, "/dev/shm/balloonsim-fuzz-%d.db", (int)getpid());
    db_remove_files(path);
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return 0;
    if (size > 0 && fwrite(data, 1, size, f) != size) {
        fclose(f);
        return 0;
    }
    fclose(f);
    db_t *db = NULL;
    int rc = db_open(path, &db, err, sizeof err);
    FUZZ_NOT_INTERNAL(rc, err);
    if (rc == 0) {
        rc = record_schema(db, err, sizeof err);
        FUZZ_NOT_INTERNAL(rc, err);
        int64_t id = 0;
        char status[32];
        int found = db_run_lookup(db, "0123456789abcdef", 0, &id, status, sizeof status, err, sizeof err);
        if (found == 1)
            (void)db_run_delete(db, id, (const char *const *)record_tables, record_ntables, err, sizeof err);
        db_run_info_t ri = {"0123456789abcdef", 0, 0, 0, 1, "fuzz.ini", "[simulation]\n", "", "static"};
        if (db_run_begin(db, &ri, &id, err, sizeof err) == 0) {
            (void)db_run_param(db, id, "simulation", "seed", "1", err, sizeof err);
            (void)db_run_finish(db, id, "complete", 0.0, 0, "0000000000000000", NULL, err, sizeof err);
        }
    }
    db_close(db);
    db_remove_files(path);
    return 0;
}
