/*
 * models/policies/mom.h -- the pure part of the mom policy (mom_*): one guest's decision
 * under oVirt MOM's auto-balloon rules, exposed for the conformance test
 * (tests/unit/test_policy_mom.c) and written to the decisions table (docs/policies.md).
 *
 * Source: oVirt/mom doc/balloon.rules (rules = mom, the default) and oVirt/vdsm
 * static/etc/vdsm/mom.d/02-balloon.policy (rules = vdsm); docs/policies.md quotes the
 * branches.  With hf the host free fraction (StatAvg(mem_free) / mem_available), cur =
 * balloon_cur, used = StatAvg(balloon_cur) - StatAvg(mem_unused):
 *
 *   pressure when hf < pressure_threshold; critical when hf <= pressure_critical
 *   gf (shrink)   = hf - 0.05 when critical, else min_guest_free x hf / pressure_threshold
 *   shrink_guest  floor = max(balloon_min, used + gf x cur)
 *                 size  = max(cur x (1 - max_change), floor)
 *                 set when size <= cur and |size - cur| > min_change x cur
 *   grow_guest    only when cur < balloon_max:
 *                 floor = max(balloon_min, used + gfg x cur), gfg = min_guest_free (mom:
 *                         fixed 0.20) or the gf above (vdsm: host-scaled)
 *                 size  = min(max(cur x (1 + max_change), floor), balloon_max)
 *                 set when |size - cur| > min_change x cur
 *   guest_qos     (vdsm only, after the rules above, so it wins): cur < balloon_min sets
 *                 balloon_min.
 * Units: pages (doubles: MOM computes in KiB floats; the target is rounded to a page).
 */
#ifndef MODELS_POLICIES_MOM_H
#define MODELS_POLICIES_MOM_H

#include <stdint.h>

typedef enum { MOM_RULES_MOM = 0, MOM_RULES_VDSM = 1 } mom_rules_t;

typedef struct mom_consts {
    double pressure, critical;     /* pressure_threshold, pressure_critical (fractions) */
    double guest_free;             /* min_guest_free_percent */
    double max_change, min_change; /* max/min_balloon_change_percent */
    mom_rules_t rules;
} mom_consts_t;

/* What the rules read of one guest and of the host at one policy-engine run. */
typedef struct mom_inputs {
    double balloon_cur;            /* pages: the latest sample */
    double cur_mean, unused_mean;  /* pages: StatAvg("balloon_cur"), StatAvg("mem_unused") */
    double balloon_min, balloon_max;   /* pages */
    double host_free_fraction;     /* StatAvg(mem_free) / mem_available */
} mom_inputs_t;

/* The branch that decided, named in the decisions table's `rule` column (mom_rule_name). */
typedef enum {
    MOM_SHRINK_STEP,      /* shrink by max_change */
    MOM_SHRINK_FLOOR,     /* shrink to the floor (the step would go below it) */
    MOM_SHRINK_ABOVE,     /* floor above cur: nothing set (size <= cur fails) */
    MOM_SHRINK_SMALL,     /* change too small: nothing set */
    MOM_GROW_STEP,        /* grow by max_change */
    MOM_GROW_FLOOR,       /* grow to the floor (the step falls short of it) */
    MOM_GROW_MAX,         /* grow to balloon_max */
    MOM_GROW_SMALL,       /* change too small: nothing set */
    MOM_FULL,             /* cur >= balloon_max: grow_guest does nothing */
    MOM_QOS,              /* vdsm guest_qos: raised to balloon_min */
    MOM_NRULES
} mom_rule_t;

typedef struct mom_decision {
    mom_rule_t rule;
    int set;                       /* 1: a target is set */
    double target_pages;           /* when set */
    int pressure;                  /* 0 none, 1 pressure, 2 critical */
    double gf;                     /* the free fraction the floor used */
    double floor_pages;            /* the floor (balloon_min in the rules' text) */
} mom_decision_t;

/* Apply the rules to one guest. */
void mom_decide(const mom_consts_t *k, const mom_inputs_t *in, mom_decision_t *out);
const char *mom_rule_name(mom_rule_t r);

#endif
