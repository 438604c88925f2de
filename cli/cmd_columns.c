/*
 * cli/cmd_columns.c -- `balloonsim columns [--markdown]`: the columns of the sample tables
 * host_samples and vm_samples, with their SQL type, unit and meaning, printed from the
 * recorder's column tables (models/record.h), so that the listing in docs/database.md
 * is generated, never copied by hand.
 */
#include <stdio.h>
#include "models/record.h"
#include "cli/common.h"
#include "cli/cmd_columns.h"

static const char usage[] =
    "usage: balloonsim columns [--markdown]\n"
    "  the columns of host_samples and vm_samples: SQL type, unit, meaning;\n"
    "  --markdown prints the tables of docs/database.md\n";

static const char *type_name(record_kind_t k)
{
    return k == RECORD_PAGES ? "INTEGER" : k == RECORD_TEXT ? "TEXT" : "REAL";
}

static void print_table(const record_sample_table_t *t, int md)
{
    if (md) {
        printf("`%s`: `run_id`, `%s`, `time_ns` (simulated ns), then:\n\n", t->table, t->entity);
        printf("| column | type | unit | meaning |\n|---|---|---|---|\n");
    } else {
        printf("%s(run_id, %s, time_ns, ...)\n", t->table, t->entity);
    }
    for (size_t i = 0; i < t->ncols; i++) {
        const record_column_t *c = &t->cols[i];
        if (md)
            printf("| `%s` | %s | %s | %s |\n", c->name, type_name(c->kind), *c->unit ? c->unit : "-", c->help);
        else
            printf("  %-22s %-7s %-11s %s\n", c->name, type_name(c->kind), c->unit, c->help);
    }
    printf("\n");
}

int cli_cmd_columns(int argc, char **argv)
{
    int md, status = cli_parse_flag(argc, argv, "markdown", usage, &md);
    if (status >= 0)
        return status;
    print_table(&record_host_sample_table, md);
    print_table(&record_vm_sample_table, md);
    return 0;
}
