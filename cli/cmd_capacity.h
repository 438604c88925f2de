/*
 * cli/cmd_capacity.h -- `balloonsim capacity` (cli/cmd_capacity.c): per policy, the
 * largest load (or smallest supply) whose runs meet a budget, by a galloping then
 * bisecting search over one axis; docs/capacity.md.
 *
 * The search (capacity_search_*) works on positions 0 .. len-1 ordered from the lightest
 * to the heaviest load (for a supply axis such as host.memory: from the largest value
 * down), assuming that the budget holds on a prefix of them.  It probes 0, then gallops
 * (0, 1, 3, 7, ... : the step doubles after each pass, the top is probed when a step
 * would pass it) until a probe fails or the top passes, then bisects between the highest
 * pass and the lowest fail.  A highest pass at position k costs at most
 * 2 floor(log2(k + 1)) + 2 probes (floor(log2(k + 1)) + 2 galloping, the rest bisecting),
 * so at most 2 ceil(log2(len)) + 2; fewer than bisecting the whole range when the answer
 * lies in its lower part, and the heavy (slow) positions beyond the answer are rarely run.
 */
#ifndef CLI_CMD_CAPACITY_H
#define CLI_CMD_CAPACITY_H

#include <stddef.h>

typedef struct capacity_search {
    size_t len;                 /* positions 0 .. len - 1 */
    long pass;                  /* highest passing position, -1 = none yet */
    long fail;                  /* lowest failing position, len = none yet */
    size_t step;                /* galloping: the next step beyond pass */
    int bisecting;
    size_t probes;
} capacity_search_t;

void capacity_search_init(capacity_search_t *s, size_t len);
/* The next position to probe, or -1 when the search is over: pass + 1 == fail (a
 * bracket), fail == 0 (no passing value) or pass == len - 1 (the top passes). */
long capacity_search_next(const capacity_search_t *s);
void capacity_search_update(capacity_search_t *s, size_t pos, int passed);

/* argv[0] == "capacity".  Returns the process exit status. */
int cli_cmd_capacity(int argc, char **argv);

#endif
